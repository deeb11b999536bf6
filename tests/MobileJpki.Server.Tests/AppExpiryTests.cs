using System.Net.Http.Headers;
using System.Net.Http.Json;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Server.Tests;

/// <summary>
/// Expiry: a phone certificate never outlives its card certificate, and once the sandbox clock passes the card's
/// NotAfter every status answer for the phone says "expired". Its own fixture: the clock jumps years ahead.
/// </summary>
public abstract class AppExpiryTests(MjpkiServer server)
{
    [Fact]
    public async Task Status_ClockPastCardExpiry_EveryPhoneCertificateSaysExpired()
    {
        var card = await server.IssueCardAsync("期限 花子", "1990-02-20", "female");
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certs = await server.ApplyAndRegisterAsync(app, card);
        var sign = certs.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning);
        var auth = certs.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneAuth);
        Assert.True(sign.NotAfter <= card.SigningCertificate.NotAfter);
        Assert.True(auth.NotAfter <= card.AuthCertificate.NotAfter);
        var before = await app.SyncAsync(CancellationToken.None);
        Assert.All(before.Certificates, c => Assert.Equal("active", c.Status));

        var cardExpiry = new DateTimeOffset(card.SigningCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        await server.SetClockAsync(cardExpiry.AddDays(1));

        // The app's view, the raw API (with and without certificates), and after a notification poll.
        var synced = await app.SyncAsync(CancellationToken.None);
        Assert.Equal(2, synced.Certificates.Count);
        Assert.All(synced.Certificates, c => Assert.Equal("expired", c.Status));
        Assert.All(synced.Certificates, c => Assert.True(c.NotAfter <= cardExpiry));
        var secret = phone.App.Values["deviceSecret"];
        var raw = await server.Api.GetStatusAsync(phone.PhoneId, secret, true, CancellationToken.None);
        Assert.All(raw.Certificates, c => Assert.Equal("expired", c.Status));
        Assert.All(raw.Certificates, c => Assert.Null(c.Certificate));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/phones/{phone.PhoneId}/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var response = await server.Client.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<PhoneStatus>(ProtocolJson.Options);
        Assert.All(json!.Certificates, c => Assert.Equal("expired", c.Status));

        // Nothing is left to register.
        var register = await Assert.ThrowsAsync<MobileJpki.App.AppException>(() => app.RegisterAsync(CancellationToken.None));
        Assert.Equal("nothing-to-register", register.Code);
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqliteAppExpiryTests(MjpkiServer server) : AppExpiryTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresAppExpiryTests(PostgresMjpkiServer server) : AppExpiryTests(server), IClassFixture<PostgresMjpkiServer>;
