using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Ra.Office;

namespace MobileJpki.Server.Tests;

/// <summary>The municipal office API's card events over HTTP, with a real virtual card and phone, on SQLite and PostgreSQL.</summary>
public abstract class OfficeEventTests(MjpkiServer server)
{
    [Fact]
    public async Task AddressChange_RegisteredPhone_CardReKeyedPhoneSigningRevokedAndReissuedWithNewAddress()
    {
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var first = await server.ApplyAndRegisterAsync(app, card);
        var phoneSigning = first.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning).SerialNumber.ToLowerInvariant();
        var phoneAuth = first.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneAuth).SerialNumber.ToLowerInvariant();
        using var oldSigning = card.SigningCertificate;
        var oldSerial = oldSigning.SerialNumber.ToLowerInvariant();
        var newKey = card.Card.GenerateReplacementKey(PinKind.Signing);

        using var response = await server.Client.PostAsJsonAsync("/api/v1/office/address-change", new AddressChangeRequest(
            null, oldSerial, null, null, "大阪府大阪市北区中之島1-3-20", null, Convert.ToBase64String(newKey)), ProtocolJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<OfficeEventResponse>(ProtocolJson.Options))!;
        Assert.Equal(card.Issued.PersonId, body.PersonId);
        Assert.Equal([phoneSigning], body.PhoneCertificates.Select(c => c.Serial));
        Assert.Equal("affiliationChanged", Assert.Single(body.CardCertificates).Reason);
        card.Card.InstallReplacementCertificates([(PinKind.Signing, Convert.FromBase64String(body.SigningCertificate!), Convert.FromBase64String(body.SigningCaCertificate!))]);
        using var newSigning = X509CertificateLoader.LoadCertificate(card.Card.CertificateDer(PinKind.Signing)!);
        Assert.Equal(newKey, newSigning.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(Basic4InfoCodec.TryRead(newSigning, out var facts));
        Assert.Equal("大阪府大阪市北区中之島1-3-20", facts!.Address);
        Assert.Equal("デジタル 太郎", facts.Name);

        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.AsNoTracking()
                .Where(c => c.Serial == oldSerial || c.Serial == phoneSigning || c.Serial == phoneAuth || c.Serial == newSigning.SerialNumber.ToLowerInvariant())
                .ToDictionaryAsync(c => c.Serial);
            Assert.Equal((int)CertificateStatus.Revoked, rows[oldSerial].Status);
            Assert.Equal(RevocationReasons.AffiliationChanged, rows[oldSerial].RevocationReason);
            Assert.Equal((int)CertificateStatus.Revoked, rows[phoneSigning].Status);
            Assert.Equal(RevocationReasons.AffiliationChanged, rows[phoneSigning].RevocationReason);
            Assert.Equal((int)CertificateStatus.Active, rows[phoneAuth].Status);
            Assert.Equal((int)CertificateStatus.Active, rows[newSigning.SerialNumber.ToLowerInvariant()].Status);
            var notice = await db.Notifications.AsNoTracking().Where(n => n.PhoneId == phone.PhoneId).OrderBy(n => n.Id).LastAsync();
            Assert.Equal(OfficeNotices.AddressChangedType, notice.Type);
            Assert.StartsWith("住所・氏名の変更", notice.Title, StringComparison.Ordinal);
            Assert.Contains(" / ", notice.Body, StringComparison.Ordinal);
            if (server.Services.GetService<IAuditLog>() is not null)
            {
                var entry = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "office.address-change").OrderBy(a => a.Sequence).LastAsync();
                Assert.Equal("office", entry.Actor);
                Assert.Equal(card.Issued.PersonId, entry.Target);
                Assert.Equal("ok", entry.Outcome);
            }
        }

        // The phone applies again for the signing certificate with the re-keyed card (through its applet): the new
        // certificate carries the new address, the auth certificate is untouched.
        var again = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Signing]);
        var reissued = Assert.Single(again);
        Assert.True(Basic4InfoCodec.TryRead(reissued, out var phoneFacts));
        Assert.Equal("大阪府大阪市北区中之島1-3-20", phoneFacts!.Address);
        Assert.True(reissued.NotAfter <= newSigning.NotAfter);
        await using (var db = server.OpenDb())
        {
            Assert.Equal((int)CertificateStatus.Active, (await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == phoneAuth)).Status);
        }
    }

    [Fact]
    public async Task Renew_RegisteredPhone_BothCardCertificatesReplacedEveryPhoneCertificateRevokedNewApplicationWorks()
    {
        var card = await server.IssueCardAsync(name: "更新 花子", gender: "female");
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var first = await server.ApplyAndRegisterAsync(app, card);
        var signingKey = card.Card.GenerateReplacementKey(PinKind.Signing);
        var authKey = card.Card.GenerateReplacementKey(PinKind.Auth);
        using var oldAuth = card.AuthCertificate;

        using var response = await server.Client.PostAsJsonAsync("/api/v1/office/renew", new CardRenewalRequest(
            card.Issued.PersonId, null, Convert.ToBase64String(signingKey), Convert.ToBase64String(authKey)), ProtocolJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<OfficeEventResponse>(ProtocolJson.Options))!;
        Assert.Equal(2, body.CardCertificates.Count);
        Assert.All(body.CardCertificates, c => Assert.Equal("card-renewed", c.Reason));
        Assert.Equal(first.Select(c => c.SerialNumber.ToLowerInvariant()).Order(), body.PhoneCertificates.Select(c => c.Serial).Order());
        card.Card.InstallReplacementCertificates(
        [
            (PinKind.Signing, Convert.FromBase64String(body.SigningCertificate!), Convert.FromBase64String(body.SigningCaCertificate!)),
            (PinKind.Auth, Convert.FromBase64String(body.AuthCertificate!), Convert.FromBase64String(body.AuthCaCertificate!)),
        ]);
        Assert.Equal(authKey, card.Card.AuthPublicKeyInfo);
        Assert.Equal(signingKey, card.Card.SigningPublicKeyInfo);

        await using (var db = server.OpenDb())
        {
            var personId = Guid.Parse(card.Issued.PersonId);
            var rows = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId).ToListAsync();
            Assert.Equal(6, rows.Count);
            Assert.Equal(4, rows.Count(r => r.Status == (int)CertificateStatus.Revoked && r.RevocationReason == RevocationReasons.CardRenewed));
            Assert.Equal(2, rows.Count(r => r.Status == (int)CertificateStatus.Active && r.PhoneId == null));
            Assert.Equal((int)CertificateStatus.Revoked, rows.Single(r => r.Serial == oldAuth.SerialNumber.ToLowerInvariant()).Status);
            Assert.Equal(OfficeNotices.RenewedType, (await db.Notifications.AsNoTracking().Where(n => n.PhoneId == phone.PhoneId).OrderBy(n => n.Id).LastAsync()).Type);
        }

        // A new application with the renewed card gets new phone certificates.
        var again = await server.ApplyAndRegisterAsync(app, card);
        Assert.Equal(2, again.Count);
    }

    [Fact]
    public async Task LoseFoundFinal_ByPersonId_HoldLiftedThenRevokedCascadingToPhone()
    {
        var card = await server.IssueCardAsync(name: "紛失 次郎");
        var phone = server.NewPhone();
        var first = await server.ApplyAndRegisterAsync(server.NewApp(phone), card);
        var personId = Guid.Parse(card.Issued.PersonId);

        var hold = await PostAsync("lose", new CardLossRequest(card.Issued.PersonId, null, false));
        Assert.All(hold.CardCertificates, c => Assert.Equal(("suspended", "certificateHold"), (c.Status, c.Reason)));
        Assert.Empty(hold.PhoneCertificates);
        await using (var db = server.OpenDb())
        {
            Assert.All(await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId && c.PhoneId == null).ToListAsync(), r => Assert.Equal((int)CertificateStatus.Suspended, r.Status));
        }

        // While on hold the card cannot apply.
        var ex = await Assert.ThrowsAsync<MobileJpki.App.AppException>(() => server.NewApp(server.NewPhone()).ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));
        Assert.Equal("card-certificate-on-hold", ex.Code);

        var found = await PostAsync("found", new CardLossRequest(null, card.AuthCertificate.SerialNumber.ToLowerInvariant(), false));
        Assert.All(found.CardCertificates, c => Assert.Equal("active", c.Status));

        var final = await PostAsync("lose", new CardLossRequest(card.Issued.PersonId, null, true));
        Assert.Equal(2, final.PhoneCertificates.Count);
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId).ToListAsync();
            Assert.Equal(4, rows.Count);
            Assert.All(rows, r =>
            {
                Assert.Equal((int)CertificateStatus.Revoked, r.Status);
                Assert.Equal(RevocationReasons.KeyCompromise, r.RevocationReason);
            });
            Assert.Equal(first.Select(c => c.SerialNumber.ToLowerInvariant()).Order(), rows.Where(r => r.PhoneId == phone.PhoneId).Select(r => r.Serial).Order());
        }
    }

    [Fact]
    public async Task OfficeApi_BadInput_ClearProblemsNothingChanged()
    {
        var card = await server.IssueCardAsync(name: "誤入力 三郎");
        var personId = Guid.Parse(card.Issued.PersonId);
        var serial = card.AuthCertificate.SerialNumber.ToLowerInvariant();

        async Task RefusedAsync(string action, object body, int status, string code)
        {
            var before = await SnapshotAsync(personId);
            using var response = await server.Client.PostAsync($"/api/v1/office/{action}", JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options));
            await Problem.AssertAsync(response, status, code);
            Assert.Equal(before, await SnapshotAsync(personId));
        }

        await RefusedAsync("lose", new CardLossRequest(Guid.NewGuid().ToString(), null, false), 404, "unknown-person");
        await RefusedAsync("lose", new CardLossRequest("not-a-guid", null, false), 400, "bad-field");
        await RefusedAsync("found", new CardLossRequest(null, "00aa11bb", false), 404, "unknown-card");
        await RefusedAsync("found", new CardLossRequest(card.Issued.PersonId, null, false), 409, "not-on-hold");
        await RefusedAsync("renew", new CardRenewalRequest(card.Issued.PersonId, null, "AAAA", "AAAA"), 400, "bad-key");
        await RefusedAsync("address-change", new AddressChangeRequest(card.Issued.PersonId, null, null, null, null, null, Convert.ToBase64String(card.Card.GenerateReplacementKey(PinKind.Signing))), 400, "bad-field");
        await RefusedAsync("reset-pin", new PinResetRecordRequest(serial, "both"), 400, "bad-field");
        await RefusedAsync("reset-pin", new PinResetRecordRequest("ffff0000", "auth"), 404, "unknown-card");

        using (var ok = await server.Client.PostAsJsonAsync("/api/v1/office/reset-pin", new PinResetRecordRequest(serial, "auth"), ProtocolJson.Options))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // Revoked by a final loss: no further act on that card.
        await PostAsync("lose", new CardLossRequest(card.Issued.PersonId, null, true));
        await RefusedAsync("lose", new CardLossRequest(null, serial, true), 409, "card-revoked");
        await RefusedAsync("reset-pin", new PinResetRecordRequest(serial, "auth"), 409, "card-revoked");
        await RefusedAsync("renew", new CardRenewalRequest(card.Issued.PersonId, null, Convert.ToBase64String(card.Card.GenerateReplacementKey(PinKind.Signing)), Convert.ToBase64String(card.Card.GenerateReplacementKey(PinKind.Auth))), 409, "card-revoked");
        if (server.Services.GetService<IAuditLog>() is not null)
        {
            await using var db = server.OpenDb();
            Assert.Contains(await db.AuditEntries.AsNoTracking().Where(a => a.Action == "office.renew").ToListAsync(), a => a.Outcome == "card-revoked");
        }
    }

    private async Task<OfficeEventResponse> PostAsync(string action, object body)
    {
        using var response = await server.Client.PostAsync($"/api/v1/office/{action}", JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OfficeEventResponse>(ProtocolJson.Options))!;
    }

    private async Task<string> SnapshotAsync(Guid personId)
    {
        await using var db = server.OpenDb();
        var rows = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId).OrderBy(c => c.Serial).Select(c => c.Serial + ":" + c.Status + ":" + c.RevocationReason).ToListAsync();
        return string.Join(",", rows) + "|" + await db.Notifications.CountAsync();
    }
}

public sealed class SqliteOfficeEventTests(MjpkiServer server) : OfficeEventTests(server), IClassFixture<MjpkiServer>;

public sealed class PostgresOfficeEventTests(PostgresMjpkiServer server) : OfficeEventTests(server), IClassFixture<PostgresMjpkiServer>;

/// <summary>With Office:ApiKey set, the card-event endpoints need the key like card issuance does.</summary>
public sealed class OfficeKeyTests(OfficeKeyTests.KeyedServer server) : IClassFixture<OfficeKeyTests.KeyedServer>
{
    [Fact]
    public async Task Lose_NoOrWrongApiKey_401OfficeUnauthorizedNothingChanged()
    {
        using var missing = await server.Client.PostAsJsonAsync("/api/v1/office/lose", new CardLossRequest(Guid.NewGuid().ToString(), null, false), ProtocolJson.Options);
        await Problem.AssertAsync(missing, 401, "office-unauthorized");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/office/found")
        {
            Content = JsonContent.Create(new CardLossRequest(Guid.NewGuid().ToString(), null, false), options: ProtocolJson.Options),
        };
        request.Headers.Authorization = new("Bearer", "wrong");
        using var wrong = await server.Client.SendAsync(request);
        await Problem.AssertAsync(wrong, 401, "office-unauthorized");

        using var right = new HttpRequestMessage(HttpMethod.Post, "/api/v1/office/found")
        {
            Content = JsonContent.Create(new CardLossRequest(Guid.NewGuid().ToString(), null, false), options: ProtocolJson.Options),
        };
        right.Headers.Authorization = new("Bearer", KeyedServer.Key);
        using var authorized = await server.Client.SendAsync(right);
        await Problem.AssertAsync(authorized, 404, "unknown-person");
    }

    /// <summary>The server with an office API key.</summary>
    public sealed class KeyedServer : MjpkiServer
    {
        public const string Key = "office-test-key";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Office:ApiKey", Key);
        }
    }
}
