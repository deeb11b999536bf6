using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Server.Tests;

/// <summary>Every bad input gets a problem+json with a stable code, leaks nothing and stores nothing.</summary>
public sealed class BadInputTests(MjpkiServer server) : IClassFixture<MjpkiServer>
{
    [Fact]
    public async Task SubmitApplication_MalformedJson_400BadRequestNothingStored()
    {
        var before = await server.CountsAsync();

        using var response = await server.Client.PostAsync("/api/v1/applications", new StringContent("{\"cms\": \"AAAA\"", Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, 400, "bad-request");
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task SubmitApplication_WrongJsonShape_400NothingStored()
    {
        var before = await server.CountsAsync();

        using var response = await server.Client.PostAsync("/api/v1/applications", new StringContent("[1,2,3]", Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, 400, "bad-request");
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task SubmitApplication_CmsNotBase64_400BadField()
    {
        var before = await server.CountsAsync();

        using var response = await server.Client.PostAsJsonAsync("/api/v1/applications", new { cms = "this is *not* base64!" });

        await Problem.AssertAsync(response, 400, "bad-field");
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task SubmitApplication_CmsGarbage_400MalformedApplication()
    {
        var before = await server.CountsAsync();

        using var response = await server.Client.PostAsJsonAsync("/api/v1/applications", new { cms = Convert.ToBase64String(RandomNumberGenerator.GetBytes(2048)) });

        await Problem.AssertAsync(response, 400, "malformed-application");
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task SubmitApplication_TamperedCms_400BadSignatureThenGenuineAcceptedOnce()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var cms = await CaptureGenuineCmsAsync(phone, card);
        var before = await server.CountsAsync();

        // One character of the signed JSON changes (the phone id's first hex digit); the DER stays well-formed.
        var tampered = Replace(cms, Encoding.ASCII.GetBytes(phone.PhoneId), Encoding.ASCII.GetBytes((phone.PhoneId[0] == 'a' ? 'b' : 'a') + phone.PhoneId[1..]));
        using (var response = await server.Client.PostAsJsonAsync("/api/v1/applications", new { cms = Convert.ToBase64String(tampered) }))
        {
            await Problem.AssertAsync(response, 400, "bad-signature");
        }

        Assert.Equal(before, await server.CountsAsync());

        // The same application untouched is accepted, and only once.
        using (var response = await server.Client.PostAsJsonAsync("/api/v1/applications", new { cms = Convert.ToBase64String(cms) }))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        using (var response = await server.Client.PostAsJsonAsync("/api/v1/applications", new { cms = Convert.ToBase64String(cms) }))
        {
            await Problem.AssertAsync(response, 409, "replayed-application");
        }

        Assert.Equal(before.Applications + 1, (await server.CountsAsync()).Applications);
    }

    [Fact]
    public async Task ApplyAsync_CardFromAnotherServersCa_400ForeignCardCertificate()
    {
        TestCard foreignCard;
        using (var foreign = new MjpkiServer())
        {
            foreignCard = await foreign.IssueCardAsync("他所 次郎");
        }

        await server.ToOpeningAsync();
        var before = await server.CountsAsync();
        var (client, recorder) = server.CreateRecordingClient();
        using (client)
        {
            var app = server.NewApp(server.NewPhone(), client: client);

            var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(foreignCard.Card.Applet, MjpkiServer.Answers(foreignCard.Password), CancellationToken.None));

            Assert.Equal("foreign-card-certificate", ex.Code);
            var (status, body) = recorder.LastFor("/api/v1/applications");
            Assert.Equal(400, status);
            Problem.AssertBody(body, "foreign-card-certificate");
        }

        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task ApplyAsync_WrongCardPassword_TriesLeftThenLockedAfterFive()
    {
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var before = await server.CountsAsync();
        var wrong = MjpkiServer.Answers("WRONG999");

        for (var left = 4; left >= 1; left--)
        {
            var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, wrong, CancellationToken.None));
            Assert.Equal("wrong-card-password", ex.Code);
            Assert.Contains($"残り{left}回", ex.Message, StringComparison.Ordinal);
            Assert.Contains($"{left} tries left", ex.Message, StringComparison.Ordinal);
        }

        var fifth = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, wrong, CancellationToken.None));
        Assert.Equal("card-locked", fifth.Code);

        var client = new JpkiClient(card.Card.Applet);
        client.SelectAp();
        var pin = client.GetPinStatus(PinKind.Signing);
        Assert.True(pin.Locked);
        Assert.Equal(0, pin.TriesLeft);
        Assert.False(client.GetPinStatus(PinKind.Auth).Locked);

        // Locked means locked: even the right password no longer opens it.
        var afterLock = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));
        Assert.Equal("card-locked", afterLock.Code);
        Assert.False(phone.SecureElement.HasKey(PinKind.Signing));
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task ApplyAsync_WrongThenRightCardPassword_CounterResets()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var app = server.NewApp(server.NewPhone());

        var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers("WRONG999"), CancellationToken.None));
        Assert.Equal("wrong-card-password", ex.Code);
        await app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);

        var client = new JpkiClient(card.Card.Applet);
        client.SelectAp();
        Assert.Equal(5, client.GetPinStatus(PinKind.Signing).TriesLeft);
    }

    [Fact]
    public async Task ApplyAsync_UnsupportedModel_UnsupportedPhoneAndNothingSent()
    {
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone("galaxy-s9");
        var (client, recorder) = server.CreateRecordingClient();
        var screens = new RecordingScreens();
        using (client)
        {
            var app = server.NewApp(phone, screens, client);

            var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));

            Assert.Equal("unsupported-phone", ex.Code);
            Assert.Empty(recorder.Exchanges);
        }

        Assert.DoesNotContain("スマホ用電子証明書が申請できます", screens.Titles);
        Assert.False(phone.IsEligibleForService);

        // The card was not touched either: no try spent.
        var cardClient = new JpkiClient(card.Card.Applet);
        cardClient.SelectAp();
        Assert.Equal(5, cardClient.GetPinStatus(PinKind.Signing).TriesLeft);
    }

    [Fact]
    public async Task Register_SerialOfAnotherPhone_404UnknownCertificate()
    {
        var owner = server.NewApp(server.NewPhone());
        var ownerCerts = await server.ApplyAndRegisterAsync(owner, await server.IssueCardAsync("持ち主 一郎"));

        // The forger's phone has applied (so it has credentials) but the serials belong to the owner's phone.
        var forgerPhone = server.NewPhone("pixel-7a");
        var forger = server.NewApp(forgerPhone);
        await server.ToOpeningAsync();
        var forgerCard = await server.IssueCardAsync("偽造 二郎");
        await forger.ApplyAsync(forgerCard.Card.Applet, MjpkiServer.Answers(forgerCard.Password), CancellationToken.None);
        await forger.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        var before = await server.CountsAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/phones/{forgerPhone.PhoneId}/registration")
        {
            Content = JsonContent.Create(new { serials = ownerCerts.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray() }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forgerPhone.App.Values["deviceSecret"]);
        using var response = await server.Client.SendAsync(request);

        await Problem.AssertAsync(response, 404, "unknown-certificate");
        Assert.Equal(before, await server.CountsAsync());
        var ownerStatus = await owner.SyncAsync(CancellationToken.None);
        Assert.All(ownerStatus.Certificates, c => Assert.Equal("active", c.Status));
        var forgerStatus = await forger.SyncAsync(CancellationToken.None);
        Assert.DoesNotContain(forgerStatus.Certificates, c => ownerCerts.Any(o => o.SerialNumber.Equals(c.Serial, StringComparison.OrdinalIgnoreCase)));
        Assert.All(forgerStatus.Certificates, c => Assert.Equal("issued", c.Status));
    }

    [Theory]
    [InlineData("ABC12", null, "5678", null)] // signing password too short
    [InlineData("phoneabc", null, "5678", null)] // lowercase letters are fine, but no digit
    [InlineData("ABCDEFGH123456789", null, "5678", null)] // 17 characters
    [InlineData("PHONE2023", "PHONE2024", "5678", null)] // confirmation differs
    [InlineData("PHONE2023", null, "12a4", null)] // auth PIN not digits
    [InlineData("PHONE2023", null, "12345", null)] // auth PIN 5 digits
    [InlineData("PHONE2023", null, "5678", "5679")] // PIN confirmation differs
    public async Task ApplyAsync_BadNewPassword_BadNewPasswordAndNoApplication(string newSigning, string? newSigningConfirmation, string newPin, string? newPinConfirmation)
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var (client, recorder) = server.CreateRecordingClient();
        var before = await server.CountsAsync();
        using (client)
        {
            var app = server.NewApp(phone, client: client);

            var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(
                card.Card.Applet,
                new ApplyOptions
                {
                    CardPassword = card.Password,
                    NewSigningPassword = newSigning,
                    NewSigningPasswordConfirmation = newSigningConfirmation,
                    NewAuthPin = newPin,
                    NewAuthPinConfirmation = newPinConfirmation,
                    Confirmed = true,
                },
                CancellationToken.None));

            Assert.Equal("bad-new-password", ex.Code);
            Assert.DoesNotContain(recorder.Exchanges, e => e.Path == "/api/v1/applications");
        }

        Assert.Equal(before, await server.CountsAsync());
        Assert.False(phone.SecureElement.HasKey(PinKind.Signing));
        var cardClient = new JpkiClient(card.Card.Applet);
        cardClient.SelectAp();
        Assert.Equal(5, cardClient.GetPinStatus(PinKind.Signing).TriesLeft);
    }

    [Fact]
    public async Task PhoneStatus_WrongBearer_401PhoneUnauthorized()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        await server.NewApp(phone).ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);
        var secret = phone.App.Values["deviceSecret"];

        foreach (var (phoneId, bearer) in new (string, string?)[] { (phone.PhoneId, "not-the-secret"), (phone.PhoneId, null), ("0123456789abcdef", secret) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/phones/{phoneId}/status");
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }

            using var response = await server.Client.SendAsync(request);
            var problem = await Problem.AssertAsync(response, 401, "phone-unauthorized");
            Assert.DoesNotContain(phone.PhoneId, problem.GetRawText(), StringComparison.Ordinal);
        }

        using (var ok = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/phones/{phone.PhoneId}/status"))
        {
            ok.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            using var response = await server.Client.SendAsync(ok);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Get_UnknownRoute_404WithoutInternals()
    {
        using var response = await server.Client.GetAsync("/api/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Problem.AssertNoInternals(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SandboxClock_Backwards_400BadClockChange()
    {
        var now = server.Clock.GetUtcNow();

        using (var response = await server.Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { set = now.AddDays(-1) }))
        {
            await Problem.AssertAsync(response, 400, "bad-clock-change");
        }

        using (var response = await server.Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { advance = "-PT1H" }))
        {
            await Problem.AssertAsync(response, 400, "bad-clock-change");
        }

        using (var response = await server.Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { advance = "PT1H", toOpening = true }))
        {
            await Problem.AssertAsync(response, 400, "bad-clock-change");
        }

        // Nothing moved (the real clock ran on by less than the hour a wrong "advance" would have added).
        Assert.InRange(server.Clock.GetUtcNow() - now, TimeSpan.Zero, TimeSpan.FromMinutes(30));
    }

    /// <summary>Runs the real app up to the submission and keeps the signed application instead of sending it.</summary>
    private async Task<byte[]> CaptureGenuineCmsAsync(MobileJpki.Device.VirtualPhone phone, TestCard card)
    {
        var (client, recorder) = server.CreateRecordingClient();
        string? captured = null;
        recorder.Intercept = (request, body) =>
        {
            if (request.Method != HttpMethod.Post || request.RequestUri!.AbsolutePath != "/api/v1/applications")
            {
                return null;
            }

            captured = body;
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{}") };
        };
        using (client)
        {
            var ex = await Assert.ThrowsAsync<AppException>(() => server.NewApp(phone, client: client).ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));
            Assert.Equal("http-503", ex.Code);
        }

        Assert.NotNull(captured);
        return Convert.FromBase64String(JsonDocument.Parse(captured).RootElement.GetProperty("cms").GetString()!);
    }

    private static byte[] Replace(byte[] data, byte[] find, byte[] with)
    {
        var at = data.AsSpan().IndexOf(find);
        Assert.True(at >= 0, "the signed content does not contain the phone id");
        var copy = (byte[])data.Clone();
        with.CopyTo(copy, at);
        return copy;
    }
}
