using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests;

/// <summary>
/// Two storage authorities (two nodes) on one database: claims never overlap, a restart takes back only abandoned
/// work, and racing completions for one person leave exactly one phone live. Run against both providers.
/// </summary>
public abstract class MultiNodeTests(StorageProvider provider)
{
    [Fact]
    public async Task ClaimDueApplicationsAsync_TwoNodesRacing_EachApplicationClaimedOnceAndStamped()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        for (var i = 0; i < 80; i++)
        {
            await f.AddApplicationAsync($"phone{i:D2}", processAfter: f.Now.AddMilliseconds(-i));
        }

        async Task<List<Guid>> DrainAsync(StorageAuthority node)
        {
            var mine = new List<Guid>();
            for (var batch = await node.ClaimDueApplicationsAsync(f.Now, 3, CancellationToken.None); batch.Count > 0; batch = await node.ClaimDueApplicationsAsync(f.Now, 3, CancellationToken.None))
            {
                mine.AddRange(batch.Select(a => a.Id));
            }

            return mine;
        }

        var results = await Task.WhenAll(Task.Run(() => DrainAsync(f.Storage)), Task.Run(() => DrainAsync(other)));

        Assert.Equal(80, results[0].Count + results[1].Count);
        Assert.Empty(results[0].Intersect(results[1]));
        await using var db = f.Database.Open();
        var rows = await db.Applications.AsNoTracking().ToListAsync();
        Assert.All(rows, r => Assert.Equal((int)ApplicationStatus.Processing, r.Status));
        Assert.Equal(results[0].Order(), rows.Where(r => r.ClaimedBy == "test-node").Select(r => r.Id).Order());
        Assert.Equal(results[1].Order(), rows.Where(r => r.ClaimedBy == "node-b").Select(r => r.Id).Order());
        Assert.All(rows, r => Assert.Equal(f.WallClock.GetUtcNow(), r.ClaimedAt));
    }

    [Fact]
    public async Task RequeueInterruptedAsync_AnotherNodesClaims_PostgresKeepsLiveOnesAndTakesBackAbandoned()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        var abandoned = await f.AddApplicationAsync("phoneA", processAfter: f.Now.AddSeconds(-2));
        var live = await f.AddApplicationAsync("phoneB", processAfter: f.Now.AddSeconds(-1));
        Assert.Equal([abandoned.Id], (await other.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None)).Select(a => a.Id));
        f.WallClock.Advance(StorageNode.DefaultClaimLease + TimeSpan.FromSeconds(1));
        Assert.Equal([live.Id], (await other.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None)).Select(a => a.Id));

        // This node starts: node-b's fresh claim is its own business; its claim older than the lease is not.
        var requeued = await f.Storage.RequeueInterruptedAsync(CancellationToken.None);

        var statuses = new List<ApplicationStatus>();
        foreach (var a in new[] { abandoned, live })
        {
            statuses.Add((await f.Storage.GetApplicationsOfPhoneAsync(a.PhoneId, CancellationToken.None)).Single().Status);
        }

        if (provider == StorageProvider.Postgres)
        {
            Assert.Equal(1, requeued);
            Assert.Equal([ApplicationStatus.Queued, ApplicationStatus.Processing], statuses);
        }
        else
        {
            // SQLite has a single node: whatever is in Processing at start was interrupted.
            Assert.Equal(2, requeued);
            Assert.Equal([ApplicationStatus.Queued, ApplicationStatus.Queued], statuses);
        }

        Assert.Equal([abandoned.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None)).Select(a => a.Id).Where(id => id == abandoned.Id));
    }

    [Fact]
    public async Task CompleteApplicationsAsync_TwoNodesSamePersonTwoPhones_ExactlyOnePhoneStaysLive()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        for (var round = 0; round < 8; round++)
        {
            var person = Guid.NewGuid();
            var appA = await f.AddApplicationAsync($"a{round}", person, f.Now.AddSeconds(-2));
            var appB = await f.AddApplicationAsync($"b{round}", person, f.Now.AddSeconds(-1));
            Assert.Equal([appA.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None)).Select(a => a.Id));
            Assert.Equal([appB.Id], (await other.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None)).Select(a => a.Id));

            // Both CAs signed (the certificates are Issued) before either node completes.
            var outcomeA = await SignAsync(f, f.Storage, appA, $"{round:x2}a1", $"{round:x2}a2");
            var outcomeB = await SignAsync(f, other, appB, $"{round:x2}b1", $"{round:x2}b2");

            await Task.WhenAll(
                Task.Run(() => f.Storage.CompleteApplicationsAsync([outcomeA], CancellationToken.None)),
                Task.Run(() => other.CompleteApplicationsAsync([outcomeB], CancellationToken.None)));

            await using var db = f.Database.Open();
            var certificates = await db.Certificates.AsNoTracking()
                .Where(c => c.PersonId == person && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth))
                .ToListAsync();
            var live = certificates.Where(c => c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active).ToList();
            Assert.Equal(2, live.Count);
            var winner = Assert.Single(live.Select(c => c.PhoneId).Distinct());
            var loser = winner == appA.PhoneId ? appB.PhoneId : appA.PhoneId;
            Assert.All(certificates.Where(c => c.PhoneId == loser), c => Assert.Equal("device-changed", c.RevocationReason));
            Assert.True((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == loser)).WipeRequested);
            Assert.False((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == winner)).WipeRequested);
            Assert.All(await db.Applications.AsNoTracking().Where(a => a.PersonId == person).ToListAsync(), a => Assert.Equal((int)ApplicationStatus.Issued, a.Status));
        }
    }

    [Fact]
    public async Task TryAddApplicationAsync_SameNonceThroughTwoNodesAtOnce_StoredOnce()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        for (var round = 0; round < 10; round++)
        {
            var person = Guid.NewGuid();
            var first = StorageFixture.Application(person, $"p{round}", f.Now, f.Now);
            var replay = StorageFixture.Application(person, $"q{round}", f.Now, f.Now) with { Nonce = first.Nonce };

            var results = await Task.WhenAll(
                Task.Run(() => f.Storage.TryAddApplicationAsync(first, StorageFixture.Phone($"p{round}", person, f.Now), CancellationToken.None)),
                Task.Run(() => other.TryAddApplicationAsync(replay, StorageFixture.Phone($"q{round}", person, f.Now), CancellationToken.None)));

            Assert.Single(results, r => r);
            await using var db = f.Database.Open();
            Assert.Equal(1, await db.Applications.CountAsync(a => a.Nonce == first.Nonce));
        }
    }

    /// <summary>
    /// Two persons write an application for one phone through two nodes at once, for a new phone and for one the first
    /// person already has an application on: the phone record goes to one person only, and only that person's
    /// applications refer to it (the check and the write are one transaction, the phone row locked).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TryAddApplicationAsync_TwoPersonsOnePhoneThroughTwoNodes_OneOwnerNeverTakenOver(bool alreadyApplied)
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        for (var round = 0; round < 10; round++)
        {
            var phoneId = $"shared{round}";
            var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
            if (alreadyApplied)
            {
                await f.AddApplicationAsync(phoneId, a, f.Now.AddHours(8));
            }

            async Task<string> TryAsync(StorageAuthority node, Guid person)
            {
                var phone = StorageFixture.Phone(phoneId, person, f.Now) with { DeviceSecretHash = person.ToByteArray().Concat(new byte[16]).ToArray() };
                try
                {
                    return await node.TryAddApplicationAsync(StorageFixture.Application(person, phoneId, f.Now, f.Now.AddHours(8)), phone, CancellationToken.None) ? "stored" : "replayed";
                }
                catch (MjpkiException ex)
                {
                    return ex.Code;
                }
            }

            var results = await Task.WhenAll(Task.Run(() => TryAsync(f.Storage, a)), Task.Run(() => TryAsync(other, b)));

            Assert.Single(results, r => r == "stored");
            Assert.Single(results, r => r == "phone-in-use");
            var winner = results[0] == "stored" ? a : b;
            if (alreadyApplied)
            {
                Assert.Equal(a, winner);
            }

            await using var db = f.Database.Open();
            var row = await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == phoneId);
            Assert.Equal(winner, row.PersonId);
            Assert.Equal(winner.ToByteArray().Concat(new byte[16]).ToArray(), row.DeviceSecretHash);
            Assert.All(await db.Applications.AsNoTracking().Where(x => x.PhoneId == phoneId).ToListAsync(), x => Assert.Equal(winner, x.PersonId));
        }
    }

    private static StorageAuthority OtherNode(StorageFixture f, string id) =>
        new(f.Database.Factory, f.Time, new StorageNode(id, StorageNode.DefaultClaimLease, f.WallClock));

    /// <summary>What the CA does for an application (intents, then signatures) and the outcome the RA hands back.</summary>
    private static async Task<IssuanceOutcome> SignAsync(StorageFixture f, StorageAuthority node, ApplicationRecord application, string signing, string auth)
    {
        var kinds = new[] { (signing, CertificateKind.PhoneSigning), (auth, CertificateKind.PhoneAuth) };
        await node.RecordIntentsAsync(
            kinds.Select(k => new CertificateIntent(k.Item1, k.Item2, application.PersonId, application.PhoneId, application.Id, f.Now, f.Now.AddYears(4), [0x30, 0x00])).ToArray(),
            CancellationToken.None);
        var issued = kinds.Select(k => new IssuedCertificate(k.Item1, k.Item2, [0x30, 0x03, 0x02, 0x01, 0x01])).ToArray();
        await node.RecordSignedAsync(issued, CancellationToken.None);
        return new IssuanceOutcome(application.Id, application.PersonId, application.PhoneId, issued, f.Now, Notices.Issued(application.PhoneId, application.Id, f.Now));
    }
}

public sealed class MultiNodeSqliteTests() : MultiNodeTests(StorageProvider.Sqlite);

public sealed class MultiNodePostgresTests() : MultiNodeTests(StorageProvider.Postgres);
