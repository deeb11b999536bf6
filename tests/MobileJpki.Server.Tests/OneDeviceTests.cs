using Microsoft.EntityFrameworkCore;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>Certificates live on one phone at a time; a second phone's issue revokes and wipes the first's.</summary>
public abstract class OneDeviceTests(MjpkiServer server)
{
    [Fact]
    public async Task Issue_SecondPhoneSameCard_RevokesAndWipesFirstPhone()
    {
        var card = await server.IssueCardAsync();
        var phoneA = server.NewPhone("pixel-8");
        var appA = server.NewApp(phoneA);
        var certsA = await server.ApplyAndRegisterAsync(appA, card);
        var serialsA = certsA.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();

        var phoneB = server.NewPhone("galaxy-s23");
        var appB = server.NewApp(phoneB);
        var certsB = await server.ApplyAndRegisterAsync(appB, card);
        Assert.Equal(2, certsB.Count);

        // A's status (read by the server API without syncing) says wipe, and its certificates are revoked.
        var rawStatus = await server.Api.GetStatusAsync(phoneA.PhoneId, phoneA.App.Values["deviceSecret"], false, CancellationToken.None);
        Assert.True(rawStatus.Wipe);
        Assert.All(rawStatus.Certificates, c => Assert.Equal("revoked", c.Status));
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.Where(c => serialsA.Contains(c.Serial)).ToListAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r =>
            {
                Assert.Equal((int)CertificateStatus.Revoked, r.Status);
                Assert.Equal("device-changed", r.RevocationReason);
                Assert.NotNull(r.RevokedAt);
            });
            Assert.True((await db.Phones.SingleAsync(p => p.PhoneId == phoneA.PhoneId)).WipeRequested);
        }

        Assert.True(phoneA.SecureElement.HasKey(PinKind.Signing));

        // A comes online: the app deletes the SE data and acknowledges.
        var synced = await appA.SyncAsync(CancellationToken.None);

        Assert.False(synced.Wipe);
        Assert.False(phoneA.SecureElement.HasKey(PinKind.Signing));
        Assert.False(phoneA.SecureElement.HasKey(PinKind.Auth));
        Assert.False(phoneA.SecureElement.HasCertificate(PinKind.Signing));
        Assert.False(phoneA.SecureElement.HasCertificate(PinKind.Auth));
        await using (var db = server.OpenDb())
        {
            Assert.False((await db.Phones.SingleAsync(p => p.PhoneId == phoneA.PhoneId)).WipeRequested);
            var serialsB = certsB.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
            var rowsB = await db.Certificates.Where(c => serialsB.Contains(c.Serial)).ToListAsync();
            Assert.All(rowsB, r => Assert.Equal((int)CertificateStatus.Active, r.Status));
            Assert.All(rowsB, r => Assert.Equal(phoneB.PhoneId, r.PhoneId));
            Assert.Equal(0, await db.Certificates.CountAsync(c => c.PersonId == Guid.Parse(card.Issued.PersonId) && c.PhoneId != null && c.Status == (int)CertificateStatus.Active && c.PhoneId != phoneB.PhoneId));
        }

        // B is untouched.
        Assert.True(phoneB.SecureElement.HasKey(PinKind.Signing));
        Assert.True(phoneB.SecureElement.HasCertificate(PinKind.Auth));
    }

    [Fact]
    public async Task Apply_AuthOnlyThenSignOnlySamePhone_BothActiveOnThatPhone()
    {
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone("aquos-sense8");
        var app = server.NewApp(phone);

        var first = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        var auth = Assert.Single(first);
        Assert.Equal(CertificateKind.PhoneAuth, CertificatePolicies.KindOf(auth));
        Assert.False(phone.SecureElement.HasKey(PinKind.Signing));

        // Later, from My Page: the kind not applied for.
        var second = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Signing]);
        var sign = Assert.Single(second);
        Assert.Equal(CertificateKind.PhoneSigning, CertificatePolicies.KindOf(sign));

        var status = await app.SyncAsync(CancellationToken.None);
        Assert.False(status.Wipe);
        Assert.Equal(2, status.Applications.Count);
        Assert.Equal(2, status.Certificates.Count);
        Assert.All(status.Certificates, c => Assert.Equal("active", c.Status));
        Assert.Equal(["auth", "sign"], status.Certificates.Select(c => c.Kind).Order());

        await using var db = server.OpenDb();
        var rows = await db.Certificates.Where(c => c.PhoneId == phone.PhoneId).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((int)CertificateStatus.Active, r.Status));
        Assert.Equal(
            new[] { auth.SerialNumber.ToLowerInvariant(), sign.SerialNumber.ToLowerInvariant() }.Order(),
            rows.Select(r => r.Serial).Order());

        // Both are in the SE.
        Assert.Equal(2, MobileJpki.App.PortalApp.ReadCertificates(phone).Count);
    }
}

/// <summary>The one-device rule on SQLite.</summary>
public sealed class SqliteOneDeviceTests(MjpkiServer server) : OneDeviceTests(server), IClassFixture<MjpkiServer>;

/// <summary>The one-device rule on PostgreSQL.</summary>
public sealed class PostgresOneDeviceTests(PostgresMjpkiServer server) : OneDeviceTests(server), IClassFixture<PostgresMjpkiServer>;
