using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests;

/// <summary>
/// Claims are leases (docs/issuance-cycle.md, "Recovery"): renewed by their node, taken back by any running node once
/// they ran out, and whatever an interrupted round signed is revoked before the application is queued again — in
/// every status it reached. Run against both providers.
/// </summary>
public abstract class ClaimLeaseTests(StorageProvider provider)
{
    [Fact]
    public async Task RequeueExpiredClaimsAsync_DeadNodesClaim_TakenBackOnlyAfterTheLease()
    {
        using var f = new StorageFixture(provider);
        var dead = OtherNode(f, "dead-node");
        var app = await f.AddApplicationAsync("phoneA");
        Assert.Single(await dead.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None));

        // Within the lease the claim is respected, on every provider: its node may still be working on it.
        f.WallClock.Advance(StorageNode.DefaultClaimLease - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await f.Storage.RequeueExpiredClaimsAsync(CancellationToken.None));
        Assert.Equal(ApplicationStatus.Processing, await StatusAsync(f, app));

        f.WallClock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await f.Storage.RequeueExpiredClaimsAsync(CancellationToken.None));

        Assert.Equal([app.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None)).Select(a => a.Id));
        await using var db = f.Database.Open();
        Assert.Equal("test-node", (await db.Applications.AsNoTracking().SingleAsync(a => a.Id == app.Id)).ClaimedBy);
    }

    [Fact]
    public async Task RenewClaimsAsync_LiveNodeRenews_ItsClaimOutlivesTheLease()
    {
        using var f = new StorageFixture(provider);
        var live = OtherNode(f, "live-node");
        var app = await f.AddApplicationAsync("phoneA");
        Assert.Single(await live.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None));

        for (var i = 0; i < 4; i++)
        {
            f.WallClock.Advance(StorageNode.DefaultClaimLease / 2);
            Assert.Equal([app.Id], await live.RenewClaimsAsync([app.Id], CancellationToken.None));
            Assert.Equal(0, await f.Storage.RequeueExpiredClaimsAsync(CancellationToken.None));
        }

        Assert.Equal(ApplicationStatus.Processing, await StatusAsync(f, app));
        await using var db = f.Database.Open();
        Assert.Equal(f.WallClock.GetUtcNow(), (await db.Applications.AsNoTracking().SingleAsync(a => a.Id == app.Id)).ClaimedAt);
    }

    [Fact]
    public async Task RenewClaimsAsync_AnotherNodesOrAFinishedApplication_NotRenewedNotReturned()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        var mine = await f.AddApplicationAsync("phoneA", processAfter: f.Now.AddSeconds(-2));
        var theirs = await f.AddApplicationAsync("phoneB", processAfter: f.Now.AddSeconds(-1));
        var queued = await f.AddApplicationAsync("phoneC", processAfter: f.Now.AddMinutes(1));
        Assert.Single(await f.Storage.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None));
        Assert.Single(await other.ClaimDueApplicationsAsync(f.Now, 1, CancellationToken.None));
        var claimedAt = f.WallClock.GetUtcNow();
        f.WallClock.Advance(TimeSpan.FromMinutes(1));

        // A node asking to renew what it does not hold (another node's claim, a queued application) gets nothing.
        var held = await f.Storage.RenewClaimsAsync([mine.Id, theirs.Id, queued.Id, Guid.NewGuid()], CancellationToken.None);

        Assert.Equal([mine.Id], held);
        await using var db = f.Database.Open();
        var rows = await db.Applications.AsNoTracking().ToDictionaryAsync(a => a.Id);
        Assert.Equal(f.WallClock.GetUtcNow(), rows[mine.Id].ClaimedAt);
        Assert.Equal(claimedAt, rows[theirs.Id].ClaimedAt);
        Assert.Equal("node-b", rows[theirs.Id].ClaimedBy);
        Assert.Equal((int)ApplicationStatus.Queued, rows[queued.Id].Status);
    }

    [Fact]
    public async Task ReleaseAsync_AnotherNodesClaim_LeftAlone()
    {
        using var f = new StorageFixture(provider);
        var other = OtherNode(f, "node-b");
        var theirs = await f.AddApplicationAsync("phoneB");
        Assert.Single(await other.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None));
        var signed = await SignAsync(f, other, theirs, "b1", "b2");

        await f.Storage.ReleaseAsync([theirs.Id], CancellationToken.None);

        Assert.Equal(ApplicationStatus.Processing, await StatusAsync(f, theirs));
        await using var db = f.Database.Open();
        Assert.All(await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == theirs.Id).ToListAsync(), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        Assert.Equal(2, signed.Certificates.Count);
    }

    [Fact]
    public async Task ReleaseAsync_CompletionHadCommitted_CertificatesStayLive()
    {
        // The database reported an error after the completion committed (a lost answer): the release that follows
        // must not revoke what the phone may already have.
        using var f = new StorageFixture(provider);
        var app = await f.AddApplicationAsync("phoneA");
        await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);
        var outcome = await SignAsync(f, f.Storage, app, "a1", "a2");
        await f.Storage.CompleteApplicationsAsync([outcome], CancellationToken.None);

        await f.Storage.ReleaseAsync([app.Id], CancellationToken.None);

        Assert.Equal(ApplicationStatus.Issued, await StatusAsync(f, app));
        await using var db = f.Database.Open();
        Assert.All(await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToListAsync(), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
    }

    [Theory]
    [InlineData(CertificateStatus.Issued)]
    [InlineData(CertificateStatus.Active)]
    [InlineData(CertificateStatus.Suspended)]
    public async Task RequeueInterruptedAsync_SignedCertificateInAnyLiveStatus_RevokedAsAbandoned(CertificateStatus reached)
    {
        using var f = new StorageFixture(provider);
        var app = await f.AddApplicationAsync("phoneA");
        await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);
        await SignAsync(f, f.Storage, app, "a1", "a2");
        var heldAt = f.Now;
        await using (var db = f.Database.Open())
        {
            // What the old code let happen before completion: registered from the status answer, or held by the hotline.
            var row = await db.Certificates.SingleAsync(c => c.Serial == "a1");
            row.Status = (int)reached;
            row.RevokedAt = reached == CertificateStatus.Suspended ? heldAt : null;
            row.RevocationReason = reached == CertificateStatus.Suspended ? RevocationReasons.Hold : null;
            await db.SaveChangesAsync();
        }

        await f.Storage.RecordIntentsAsync([new CertificateIntent("a3", CertificateKind.PhoneSigning, app.PersonId, app.PhoneId, app.Id, f.Now, f.Now.AddYears(1), [0x30, 0x00])], CancellationToken.None);
        f.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, await f.Storage.RequeueInterruptedAsync(CancellationToken.None));

        await using var check = f.Database.Open();
        var rows = await check.Certificates.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToDictionaryAsync(c => c.Serial);
        Assert.All(new[] { rows["a1"], rows["a2"] }, c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal(RevocationReasons.Abandoned, c.RevocationReason);
            Assert.True(c.RevokedAt >= c.IssuedAt, "revoked before it was issued");
        });
        Assert.Equal(reached == CertificateStatus.Suspended ? heldAt : f.Now, rows["a1"].RevokedAt);

        // A reserved serial that was never signed stays on record as Pending.
        Assert.Equal((int)CertificateStatus.Pending, rows["a3"].Status);
        Assert.Equal(ApplicationStatus.Queued, await StatusAsync(f, app));
    }

    [Fact]
    public async Task RequeueExpiredClaimsAsync_ServiceClockBehindTheSigningNode_RevocationNotBeforeIssue()
    {
        using var f = new StorageFixture(provider);
        var dead = OtherNode(f, "dead-node");
        var app = await f.AddApplicationAsync("phoneA");
        await dead.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);

        // The dead node's clock was a day ahead when it signed.
        var ahead = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(f.Now.AddDays(1));
        var deadAhead = new StorageAuthority(f.Database.Factory, ahead, new StorageNode("dead-node", StorageNode.DefaultClaimLease, f.WallClock));
        await SignAsync(f, deadAhead, app, "a1", "a2");
        f.WallClock.Advance(StorageNode.DefaultClaimLease * 2);

        Assert.Equal(1, await f.Storage.RequeueExpiredClaimsAsync(CancellationToken.None));

        await using var db = f.Database.Open();
        Assert.All(await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToListAsync(), c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal(c.IssuedAt, c.RevokedAt);
        });
    }

    [Fact]
    public async Task AbandonAsync_NamedSerials_RevokedOthersUntouched()
    {
        using var f = new StorageFixture(provider);
        var app = await f.AddApplicationAsync("phoneA");
        await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);
        await SignAsync(f, f.Storage, app, "a1", "a2");

        await f.Storage.AbandonAsync(["a1"], CancellationToken.None);

        await using var db = f.Database.Open();
        var rows = await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == app.Id).ToDictionaryAsync(c => c.Serial);
        Assert.Equal(RevocationReasons.Abandoned, rows["a1"].RevocationReason);
        Assert.Equal((int)CertificateStatus.Issued, rows["a2"].Status);
    }

    [Fact]
    public async Task SandboxClockStore_TwoNodesMovingAtOnce_StoredOffsetIsTheLargestAndNeverShrinks()
    {
        using var f = new StorageFixture(provider);
        var store = new SandboxClockStore(f.Database.Factory);
        Assert.Equal(TimeSpan.Zero, await store.ReadAsync(CancellationToken.None));

        var offsets = Enumerable.Range(1, 20).Select(h => TimeSpan.FromHours(h)).ToArray();
        await Task.WhenAll(offsets.Select(o => Task.Run(() => new SandboxClockStore(f.Database.Factory).AdvanceToAsync(o, CancellationToken.None))));
        Assert.Equal(TimeSpan.FromHours(20), await store.ReadAsync(CancellationToken.None));

        // A node whose clock is behind cannot pull the shared one back.
        Assert.Equal(TimeSpan.FromHours(20), await store.AdvanceToAsync(TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal(TimeSpan.FromHours(20), await store.ReadAsync(CancellationToken.None));
    }

    private static async Task<ApplicationStatus> StatusAsync(StorageFixture f, ApplicationRecord app) =>
        (await f.Storage.GetApplicationsOfPhoneAsync(app.PhoneId, CancellationToken.None)).Single(a => a.Id == app.Id).Status;

    private static StorageAuthority OtherNode(StorageFixture f, string id) =>
        new(f.Database.Factory, f.Time, new StorageNode(id, StorageNode.DefaultClaimLease, f.WallClock));

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

public sealed class ClaimLeaseSqliteTests() : ClaimLeaseTests(StorageProvider.Sqlite);

public sealed class ClaimLeasePostgresTests() : ClaimLeaseTests(StorageProvider.Postgres);
