using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;

namespace MobileJpki.Server.Tests.Revocation;

/// <summary>The SA side of the shared OCSP table and the cRLNumbers under several nodes at once, on SQLite and PostgreSQL.</summary>
public abstract class OcspResponseStoreTests(MjpkiServer server)
{
    [Fact]
    public async Task Save_TwoNodesAtOnce_OneRowNotStaleAndReplicasTakeIt()
    {
        // Not signed (no Der): the server's own refresher leaves it alone.
        var serial = await InsertCertificateAsync(CertificateStatus.Issued, signed: false);
        var store = server.Services.GetRequiredService<IOcspResponseStore>();
        var at = DateTimeOffset.FromUnixTimeSeconds(server.Clock.GetUtcNow().ToUnixTimeSeconds());

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.SaveAsync(
            new StoredOcspResponse(Hierarchy.Auth, serial, [0x30, 0x03, 0x0A, 0x01, (byte)i], OcspCertStatus.Good, at, at.AddDays(1), at.AddMilliseconds(i)),
            CancellationToken.None)));

        await using var db = server.OpenDb();
        var row = await db.OcspResponses.AsNoTracking().SingleAsync(o => o.Serial == serial);
        Assert.False(row.Stale);
        Assert.Equal((int)OcspCertStatus.Good, row.CertStatus);
        var read = await store.ReadUpdatedSinceAsync(at, 100, CancellationToken.None);
        Assert.Equal(row.Der, Assert.Single(read, r => r.SerialHex == serial).Der);
    }

    [Fact]
    public async Task Save_StatusChangedWhileSigning_RowLeftStaleAndFoundDue()
    {
        var serial = await InsertCertificateAsync(CertificateStatus.Suspended, signed: true);
        var store = server.Services.GetRequiredService<IOcspResponseStore>();
        var at = DateTimeOffset.FromUnixTimeSeconds(server.Clock.GetUtcNow().ToUnixTimeSeconds());

        // Signed as good before the hold committed.
        await store.SaveAsync(new StoredOcspResponse(Hierarchy.Auth, serial, [0x30, 0x00], OcspCertStatus.Good, at, at.AddDays(1), at), CancellationToken.None);
        var due = await store.FindDueAsync(new OcspDueQuery(at, at, at.AddHours(-1), 10_000), CancellationToken.None);

        // Either still stale and due (as on hold), or the server's refresher already signed the hold: never a
        // settled "good".
        await using var db = server.OpenDb();
        var row = await db.OcspResponses.AsNoTracking().SingleAsync(o => o.Serial == serial);
        Assert.True(row.Stale || row.CertStatus == (int)OcspCertStatus.OnHold, "the good response of a held certificate was kept");
        if (due.SingleOrDefault(d => d.SerialHex == serial) is { } item)
        {
            Assert.Equal(RevocationReasons.Hold, item.Status.Reason);
            Assert.True(item.Status.Revoked);
        }
        else
        {
            Assert.Equal((int)OcspCertStatus.OnHold, row.CertStatus);
        }
    }

    [Fact]
    public async Task CrlNumbers_ManyConcurrentBuilds_AllDistinctAndIncreasing()
    {
        var numbers = server.Services.GetRequiredService<ICrlNumberStore>();
        var partition = 900 + Random.Shared.Next(100);

        var taken = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => numbers.NextAsync(Hierarchy.Auth, partition, server.Clock.GetUtcNow(), CancellationToken.None)));
        var next = await numbers.NextAsync(Hierarchy.Auth, partition, server.Clock.GetUtcNow().AddDays(-10), CancellationToken.None);

        Assert.Equal(12, taken.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), taken.Order());
        Assert.Equal(13, next);
    }

    private async Task<string> InsertCertificateAsync(CertificateStatus status, bool signed)
    {
        var serial = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).Insert(0, "1")[..32];
        var now = server.Clock.GetUtcNow();
        await using var db = server.OpenDb();
        db.Certificates.Add(new CertificateEntity
        {
            Serial = serial,
            Kind = (int)CertificateKind.PhoneAuth,
            PersonId = Guid.NewGuid(),
            Status = (int)status,
            NotBefore = now.AddDays(-1),
            NotAfter = now.AddYears(1),
            Tbs = [0x30, 0x00],
            Der = signed ? [0x30, 0x00] : null,
            CreatedAt = now,
            IssuedAt = now,
            StatusChangedAt = now,
            RevokedAt = status == CertificateStatus.Suspended ? now : null,
            RevocationReason = status == CertificateStatus.Suspended ? RevocationReasons.Hold : null,
        });
        await db.SaveChangesAsync();
        return serial;
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqliteOcspResponseStoreTests(MjpkiServer server) : OcspResponseStoreTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresOcspResponseStoreTests(PostgresMjpkiServer server) : OcspResponseStoreTests(server), IClassFixture<PostgresMjpkiServer>;
