using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>
/// マイナポータル login with the phone's auth certificate and with the card's, the person's view, logout and the usage
/// log, through the real server and its database; and every bad answer refused with its own code, nothing used up.
/// </summary>
public abstract class PortalLoginTests(MjpkiServer server)
{
    internal const string AuthPin = "5678";

    [Fact]
    public async Task Login_PhoneWithPin_SessionOpensMeShowsPersonAndUsageRecordsIt()
    {
        var (card, phone, app, certs) = await RegisteredAsync("ログイン 一郎");

        var session = await app.LoginAsync(AuthPin, CancellationToken.None);

        Assert.Equal(SessionAudiences.Portal, session.Audience);
        var auth = Serial(certs, CertificateKind.PhoneAuth);
        var now = server.Clock.GetUtcNow();
        Assert.InRange(session.ExpiresAt, now.AddMinutes(29), now.AddMinutes(31));
        await using (var db = server.OpenDb())
        {
            var row = await db.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(session.Token));
            Assert.Equal((SessionAudiences.Portal, Guid.Parse(card.Issued.PersonId), auth, (int)CertificateKind.PhoneAuth), (row.Audience, row.PersonId, row.CertificateSerial, row.CertificateKind));
            Assert.False(await db.Sessions.AnyAsync(s => s.TokenHash == session.Token), "the token itself is never stored");
            Assert.NotNull((await db.Challenges.AsNoTracking().SingleAsync(c => c.Subject == "phone:" + phone.PhoneId && c.Purpose == "login-portal")).UsedAt);
        }

        using var meResponse = await GetAsync("/api/v1/portal/me", session.Token);
        var body = await meResponse.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, meResponse.StatusCode);
        var me = (await meResponse.Content.ReadFromJsonAsync<PortalMe>(ProtocolJson.Options))!;
        Assert.Equal((card.Issued.PersonId, "phone-auth", auth), (me.PersonId, me.CertificateKind, me.CertificateSerial));

        // The auth certificate has no 基本4情報, and the view shows none.
        Assert.DoesNotContain("ログイン", body, StringComparison.Ordinal);
        foreach (var field in new[] { "name", "address", "birth", "gender" })
        {
            Assert.DoesNotContain(field, body, StringComparison.OrdinalIgnoreCase);
        }

        var usage = await server.Api.GetUsageAsync(session.Token, 0, 20, CancellationToken.None);
        var login = Assert.Single(usage.Items);
        Assert.Equal((UsageKinds.Login, "portal", auth), (login.Kind, login.Party, login.CertificateSerial));
    }

    [Fact]
    public async Task Login_Card_SessionOfTheCardsAuthCertificate()
    {
        var card = await server.IssueCardAsync("カード 次郎");

        var session = await CardLogin.LoginAsync(server.Api, card.Card.Applet, "1234", CancellationToken.None);

        var me = await server.Api.GetMeAsync(session.Token, CancellationToken.None);
        Assert.Equal((card.Issued.PersonId, "card-auth", card.AuthCertificate.SerialNumber.ToLowerInvariant()), (me.PersonId, me.CertificateKind, me.CertificateSerial));
        var usage = await server.Api.GetUsageAsync(session.Token, 0, 20, CancellationToken.None);
        Assert.Equal(card.AuthCertificate.SerialNumber.ToLowerInvariant(), Assert.Single(usage.Items).CertificateSerial);
    }

    [Fact]
    public async Task Logout_ThenMe_SessionInvalid()
    {
        var (_, _, app, _) = await RegisteredAsync("退出 三郎");
        var session = await app.LoginAsync(AuthPin, CancellationToken.None);

        await server.Api.LogoutAsync(session.Token, CancellationToken.None);

        using var response = await GetAsync("/api/v1/portal/me", session.Token);
        await Problem.AssertAsync(response, 401, "session-invalid");
    }

    [Fact]
    public async Task Login_ReplayedAnswer_ChallengeUsedAndOneSessionOnly()
    {
        var (_, phone, app, _) = await RegisteredAsync("再送 四郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };
        await server.Api.LoginAsync(answer, Secret(phone), CancellationToken.None);
        var sessions = await SessionCountAsync();

        using var replay = await PostAsync("/api/v1/portal/sessions", answer, Secret(phone));

        await Problem.AssertAsync(replay, 409, "challenge-used");
        Assert.Equal(sessions, await SessionCountAsync());
    }

    [Fact]
    public async Task Login_ExpiredChallenge_ChallengeExpiredAndNothingOpened()
    {
        var (_, phone, app, _) = await RegisteredAsync("期限 五郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };
        server.Clock.Advance(TimeSpan.FromMinutes(3));
        var sessions = await SessionCountAsync();

        using var response = await PostAsync("/api/v1/portal/sessions", answer, Secret(phone));

        await Problem.AssertAsync(response, 400, "challenge-expired");
        Assert.Equal(sessions, await SessionCountAsync());
    }

    [Fact]
    public async Task Login_ChallengeIssuedToAnotherPhone_BadChallengeAndChallengeNotUsedUp()
    {
        var (_, phone, app, _) = await RegisteredAsync("本人 六郎");
        var (_, otherPhone, otherApp, _) = await RegisteredAsync("他人 七郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);

        // The other phone answers the first phone's challenge with its own, perfectly good, key.
        var stolen = Approve(otherApp, challenge) with { PhoneId = otherPhone.PhoneId };
        using var response = await PostAsync("/api/v1/portal/sessions", stolen, Secret(otherPhone));

        var problem = await Problem.AssertAsync(response, 400, "bad-challenge");
        Assert.DoesNotContain(phone.PhoneId, problem.ToString(), StringComparison.Ordinal);

        // The rightful phone can still use it.
        var session = await server.Api.LoginAsync(Approve(app, challenge) with { PhoneId = phone.PhoneId }, Secret(phone), CancellationToken.None);
        Assert.Equal(SessionAudiences.Portal, session.Audience);
    }

    [Fact]
    public async Task Login_SignatureByAnotherKey_SignatureNotAcceptedAndChallengeNotUsedUp()
    {
        var (_, phone, app, _) = await RegisteredAsync("鍵違 八郎");
        var (_, _, otherApp, _) = await RegisteredAsync("鍵他 九郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var mine = Approve(app, challenge);
        var theirs = Approve(otherApp, challenge);
        using var rogue = RSA.Create(2048);
        var message = LoginMessage.SignedBytes(LoginMessage.Portal, string.Empty, server.Api.Origin, challenge.Challenge);

        // My certificate with another phone's signature; with a key outside any SE; another phone's certificate and key;
        // my own key over another origin (a phishing site relaying the challenge).
        var attempts = new[]
        {
            mine with { Signature = theirs.Signature, PhoneId = phone.PhoneId },
            mine with { Signature = Convert.ToBase64String(rogue.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)), PhoneId = phone.PhoneId },
            theirs with { PhoneId = phone.PhoneId },
            SignWithSe(phone, LoginMessage.SignedBytes(LoginMessage.Portal, string.Empty, "https://phish.example", challenge.Challenge), challenge.Challenge) with { PhoneId = phone.PhoneId },
        };
        foreach (var attempt in attempts)
        {
            using var response = await PostAsync("/api/v1/portal/sessions", attempt, Secret(phone));
            await Problem.AssertAsync(response, 401, "signature-not-accepted");
        }

        var session = await server.Api.LoginAsync(mine with { PhoneId = phone.PhoneId }, Secret(phone), CancellationToken.None);
        Assert.Equal(SessionAudiences.Portal, session.Audience);
    }

    [Fact]
    public async Task Login_CardCertificateInThePhoneFlowOrPhoneCertificateInTheCardFlow_SignatureNotAccepted()
    {
        var (card, phone, app, _) = await RegisteredAsync("種別 十郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var (cardCert, cardSignature) = CardLogin.Sign(card.Card.Applet, "1234", LoginMessage.SignedBytes(LoginMessage.Portal, string.Empty, server.Api.Origin, challenge.Challenge));
        using var phoneFlow = await PostAsync("/api/v1/portal/sessions", new LoginRequest(challenge.Challenge, Convert.ToBase64String(cardCert), Convert.ToBase64String(cardSignature), phone.PhoneId), Secret(phone));
        await Problem.AssertAsync(phoneFlow, 401, "signature-not-accepted");

        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var cardChallenge = await server.Api.GetCardChallengeAsync(nonce, CancellationToken.None);
        var phoneAnswer = Approve(app, cardChallenge) with { ClientNonce = nonce };
        using var cardFlow = await PostAsync("/api/v1/portal/sessions", phoneAnswer, null);
        await Problem.AssertAsync(cardFlow, 401, "signature-not-accepted");

        // A card answer to a challenge handed to another browser's nonce.
        var (c2, s2) = CardLogin.Sign(card.Card.Applet, "1234", LoginMessage.SignedBytes(LoginMessage.Portal, string.Empty, server.Api.Origin, cardChallenge.Challenge));
        using var otherNonce = await PostAsync("/api/v1/portal/sessions", new LoginRequest(cardChallenge.Challenge, Convert.ToBase64String(c2), Convert.ToBase64String(s2), ClientNonce: nonce + "x"), null);
        await Problem.AssertAsync(otherNonce, 400, "bad-challenge");
    }

    [Fact]
    public async Task Login_SuspendedCertificate_CertificateSuspended()
    {
        var (_, phone, app, _) = await RegisteredAsync("停止 花子");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };
        await app.SuspendAsync(CancellationToken.None);

        using var response = await PostAsync("/api/v1/portal/sessions", answer, Secret(phone));

        var problem = await Problem.AssertAsync(response, 403, "certificate-suspended");
        Assert.DoesNotContain("停止 花子", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_RevokedCertificate_CertificateRevoked()
    {
        var (_, phone, app, _) = await RegisteredAsync("失効 桜子");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };
        var secret = Secret(phone);
        await app.RevokeAsync(confirmed: true, CancellationToken.None);

        using var response = await PostAsync("/api/v1/portal/sessions", answer, secret);

        await Problem.AssertAsync(response, 403, "certificate-revoked");
    }

    [Fact]
    public async Task Usage_TwoPersons_EachSeesOnlyTheirOwnNewestFirstInPages()
    {
        var (_, _, app, _) = await RegisteredAsync("履歴 一子");
        var (otherCard, _, otherApp, _) = await RegisteredAsync("履歴 二子");
        for (var i = 0; i < 3; i++)
        {
            await app.LoginAsync(AuthPin, CancellationToken.None);
        }

        var otherSession = await otherApp.LoginAsync(AuthPin, CancellationToken.None);
        var session = await app.LoginAsync(AuthPin, CancellationToken.None);

        var first = await server.Api.GetUsageAsync(session.Token, 0, 3, CancellationToken.None);
        Assert.Equal(3, first.Items.Count);
        Assert.NotNull(first.Next);
        var second = await server.Api.GetUsageAsync(session.Token, first.Next!.Value, 3, CancellationToken.None);
        var all = first.Items.Concat(second.Items).ToArray();
        Assert.Equal(4, all.Length);
        Assert.True(all.Select(u => u.Id).SequenceEqual(all.Select(u => u.Id).OrderDescending()), "newest first");
        Assert.All(all, u => Assert.Equal(UsageKinds.Login, u.Kind));

        var others = await server.Api.GetUsageAsync(otherSession.Token, 0, 100, CancellationToken.None);
        Assert.Single(others.Items);
        Assert.Empty(others.Items.Select(u => u.Id).Intersect(all.Select(u => u.Id)));

        // Nothing in the request can name another person: a stray query parameter changes nothing.
        using var stray = await GetAsync($"/api/v1/portal/usage?personId={otherCard.Issued.PersonId}&limit=100", session.Token);
        var strayPage = (await stray.Content.ReadFromJsonAsync<UsagePage>(ProtocolJson.Options))!;
        Assert.Equal(all.Select(u => u.Id), strayPage.Items.Select(u => u.Id));
    }

    [Fact]
    public async Task PortalApi_NoOrBadToken_SessionInvalid()
    {
        foreach (var path in new[] { "/api/v1/portal/me", "/api/v1/portal/usage" })
        {
            using var none = await GetAsync(path, null);
            await Problem.AssertAsync(none, 401, "session-invalid");
            using var bad = await GetAsync(path, "not-a-session");
            await Problem.AssertAsync(bad, 401, "session-invalid");
        }
    }

    internal static string Secret(VirtualPhone phone) => phone.App.Values["deviceSecret"];

    internal static LoginRequest Approve(PortalApp app, LoginChallengeView challenge) => app.ApproveTerminalLogin(challenge, AuthPin);

    internal static string Serial(IReadOnlyList<X509Certificate2> certs, CertificateKind kind) =>
        certs.Single(c => CertificatePolicies.KindOf(c) == kind).SerialNumber.ToLowerInvariant();

    /// <summary>The phone's SE signs arbitrary bytes with its auth key (what a tampered app could make it sign).</summary>
    internal static LoginRequest SignWithSe(VirtualPhone phone, byte[] data, string challenge)
    {
        var client = new SecureElementClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.Verify(MobileJpki.Card.PinKind.Auth, AuthPin).Verified);
        using var certificate = client.Jpki.ReadCertificate(MobileJpki.Card.JpkiFiles.CertificateFid(MobileJpki.Card.PinKind.Auth));
        using var key = new MobileJpki.Card.JpkiRsa(client.Jpki, MobileJpki.Card.PinKind.Auth, certificate.GetRSAPublicKey()!.ExportParameters(false));
        return new LoginRequest(challenge, Convert.ToBase64String(certificate.RawData), Convert.ToBase64String(key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
    }

    private async Task<int> SessionCountAsync()
    {
        await using var db = server.OpenDb();
        return await db.Sessions.CountAsync();
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, object body, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<(TestCard Card, VirtualPhone Phone, PortalApp App, IReadOnlyList<X509Certificate2> Certificates)> RegisteredAsync(string name)
    {
        var card = await server.IssueCardAsync(name);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certs = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        return (card, phone, app, certs);
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqlitePortalLoginTests(MjpkiServer server) : PortalLoginTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresPortalLoginTests(PostgresMjpkiServer server) : PortalLoginTests(server), IClassFixture<PostgresMjpkiServer>;

/// <summary>
/// An expired auth certificate: its own fixture, since the sandbox clock jumps years ahead and never comes back.
/// </summary>
public abstract class PortalExpiryTests(MjpkiServer server)
{
    [Fact]
    public async Task Login_ExpiredCertificate_CertificateExpired()
    {
        var card = await server.IssueCardAsync("満了 太郎");
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certs = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        var last = new[] { certs.Single().NotAfter, card.AuthCertificate.NotAfter }.Max();
        await server.SetClockAsync(new DateTimeOffset(last.ToUniversalTime(), TimeSpan.Zero).AddDays(1));

        var refused = await Assert.ThrowsAsync<AppException>(() => app.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None));

        Assert.Equal("certificate-expired", refused.Code);
        var cardRefused = await Assert.ThrowsAsync<AppException>(() => CardLogin.LoginAsync(server.Api, card.Card.Applet, "1234", CancellationToken.None));
        Assert.Equal("certificate-expired", cardRefused.Code);
        await using var db = server.OpenDb();
        Assert.False(await db.Sessions.AnyAsync());
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqlitePortalExpiryTests(MjpkiServer server) : PortalExpiryTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresPortalExpiryTests(PostgresMjpkiServer server) : PortalExpiryTests(server), IClassFixture<PostgresMjpkiServer>;
