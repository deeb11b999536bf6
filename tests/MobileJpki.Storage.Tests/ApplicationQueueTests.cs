using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests;

/// <summary>Run against both providers: <see cref="ApplicationQueueSqliteTests"/> and <see cref="ApplicationQueuePostgresTests"/>.</summary>
public abstract class ApplicationQueueTests(StorageProvider provider)
{
    [Fact]
    public async Task TryAddApplicationAsync_NewApplication_StoresQueuedRowAndPhone()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var application = StorageFixture.Application(person, "phoneA", f.Now, f.Now.AddHours(3), CertificateKind.PhoneAuth);

        Assert.True(await f.Storage.TryAddApplicationAsync(application, StorageFixture.Phone("phoneA", person, f.Now), CancellationToken.None));

        var stored = Assert.Single(await f.Storage.GetApplicationsOfPhoneAsync("phoneA", CancellationToken.None));
        Assert.Equal(application.Id, stored.Id);
        Assert.Equal(ApplicationStatus.Queued, stored.Status);
        Assert.Equal(application.ProcessAfter, stored.ProcessAfter);
        Assert.Equal(application.Nonce, stored.Nonce);
        var key = Assert.Single(stored.Keys);
        Assert.Equal(CertificateKind.PhoneAuth, key.Kind);
        Assert.Equal(application.Keys[0].SubjectPublicKeyInfo, key.SubjectPublicKeyInfo);
        var phone = await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None);
        Assert.NotNull(phone);
        Assert.Equal(person, phone.PersonId);
    }

    [Fact]
    public async Task TryAddApplicationAsync_DuplicateNonce_ReturnsFalseAndStoresNothing()
    {
        using var f = new StorageFixture(provider);
        var first = await f.AddApplicationAsync("phoneA");
        var replay = StorageFixture.Application(Guid.NewGuid(), "phoneB", f.Now, f.Now) with { Nonce = first.Nonce };

        Assert.False(await f.Storage.TryAddApplicationAsync(replay, StorageFixture.Phone("phoneB", replay.PersonId, f.Now), CancellationToken.None));

        await using var db = f.Database.Open();
        Assert.Equal(1, await db.Applications.CountAsync());
        Assert.Equal(1, await db.Phones.CountAsync());
    }

    [Fact]
    public async Task TryAddApplicationAsync_KnownPhone_UpdatesPhoneInPlace()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        await f.AddApplicationAsync("phoneA", person);
        var next = StorageFixture.Application(person, "phoneA", f.Now, f.Now);
        var updated = StorageFixture.Phone("phoneA", person, f.Now) with { Os = "Android 16", DeviceSecretHash = new byte[32] };

        Assert.True(await f.Storage.TryAddApplicationAsync(next, updated, CancellationToken.None));

        var phone = await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None);
        Assert.Equal("Android 16", phone!.Os);
        Assert.Equal(new byte[32], phone.DeviceSecretHash);
        Assert.Equal(2, (await f.Storage.GetApplicationsOfPhoneAsync("phoneA", CancellationToken.None)).Count);
    }

    [Fact]
    public async Task ClaimDueApplicationsAsync_MixedDueTimes_ClaimsOnlyDueInOrderUpToMax()
    {
        using var f = new StorageFixture(provider);
        var later = await f.AddApplicationAsync("phoneA", processAfter: f.Now.AddMinutes(1));
        var second = await f.AddApplicationAsync("phoneB", processAfter: f.Now.AddMinutes(-1));
        var first = await f.AddApplicationAsync("phoneC", processAfter: f.Now.AddMinutes(-2));
        var third = await f.AddApplicationAsync("phoneD", processAfter: f.Now);

        var claimed = await f.Storage.ClaimDueApplicationsAsync(f.Now, 2, CancellationToken.None);

        Assert.Equal([first.Id, second.Id], claimed.Select(a => a.Id));
        Assert.All(claimed, a => Assert.Equal(ApplicationStatus.Processing, a.Status));
        Assert.Equal([third.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None)).Select(a => a.Id));
        Assert.Empty(await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None));
        Assert.Equal([later.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now.AddMinutes(1), 10, CancellationToken.None)).Select(a => a.Id));
        Assert.Equal(4, await f.Storage.CountQueuedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ClaimDueApplicationsAsync_TwoConcurrentClaimers_NeverReturnSameApplicationTwice()
    {
        using var f = new StorageFixture(provider);
        var ids = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            ids.Add((await f.AddApplicationAsync($"phone{i:D2}", processAfter: f.Now.AddSeconds(-i % 7))).Id);
        }

        async Task<List<Guid>> ClaimAllAsync()
        {
            var mine = new List<Guid>();
            while (true)
            {
                var batch = await f.Storage.ClaimDueApplicationsAsync(f.Now, 4, CancellationToken.None);
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(a => a.Id));
            }
        }

        var results = await Task.WhenAll(Task.Run(ClaimAllAsync), Task.Run(ClaimAllAsync));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Empty(results[0].Intersect(results[1]));
        Assert.Equal(ids.Order(), all.Order());
        await using var db = f.Database.Open();
        Assert.All(await db.Applications.ToListAsync(), a => Assert.Equal((int)ApplicationStatus.Processing, a.Status));
    }

    [Fact]
    public async Task RequeueInterruptedAsync_ProcessingApplications_ReturnToQueued()
    {
        using var f = new StorageFixture(provider);
        var a = await f.AddApplicationAsync("phoneA", processAfter: f.Now.AddSeconds(-3));
        var b = await f.AddApplicationAsync("phoneB", processAfter: f.Now.AddSeconds(-2));
        var c = await f.AddApplicationAsync("phoneC", processAfter: f.Now.AddSeconds(-1));
        var claimed = await f.Storage.ClaimDueApplicationsAsync(f.Now, 2, CancellationToken.None);
        Assert.Equal([a.Id, b.Id], claimed.Select(x => x.Id));

        // The process "crashes" here; on restart the interrupted ones go back to the queue.
        Assert.Equal(2, await f.Storage.RequeueInterruptedAsync(CancellationToken.None));

        await using (var db = f.Database.Open())
        {
            Assert.All(await db.Applications.ToListAsync(), x => Assert.Equal((int)ApplicationStatus.Queued, x.Status));
        }

        Assert.Equal([a.Id, b.Id, c.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None)).Select(x => x.Id));
        Assert.Equal(3, await f.Storage.RequeueInterruptedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RequeueInterruptedAsync_FinishedApplications_AreLeftAlone()
    {
        using var f = new StorageFixture(provider);
        var rejected = await f.AddApplicationAsync("phoneA");
        await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);
        await f.Storage.RejectApplicationAsync(rejected.Id, "card revoked", f.Now, Notices.Rejected("phoneA", rejected.Id, "card revoked", f.Now), CancellationToken.None);

        Assert.Equal(0, await f.Storage.RequeueInterruptedAsync(CancellationToken.None));

        var stored = Assert.Single(await f.Storage.GetApplicationsOfPhoneAsync("phoneA", CancellationToken.None));
        Assert.Equal(ApplicationStatus.Rejected, stored.Status);
        Assert.Equal("card revoked", stored.Reason);
        Assert.Equal(f.Now, stored.CompletedAt);
        var note = Assert.Single(await f.Storage.GetNotificationsAsync("phoneA", 0, CancellationToken.None));
        Assert.Equal(Notices.RejectedType, note.Type);
    }

    [Fact]
    public async Task ReleaseAsync_ClaimedApplications_OnlyNamedOnesReturnToQueue()
    {
        using var f = new StorageFixture(provider);
        var a = await f.AddApplicationAsync("phoneA");
        var b = await f.AddApplicationAsync("phoneB");
        await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None);

        await f.Storage.ReleaseAsync([a.Id], CancellationToken.None);

        Assert.Equal([a.Id], (await f.Storage.ClaimDueApplicationsAsync(f.Now, 10, CancellationToken.None)).Select(x => x.Id));
        Assert.Equal(ApplicationStatus.Processing, (await f.Storage.GetApplicationsOfPhoneAsync("phoneB", CancellationToken.None)).Single().Status);
        Assert.Equal(b.Id, (await f.Storage.GetApplicationsOfPhoneAsync("phoneB", CancellationToken.None)).Single().Id);
    }

    [Fact]
    public async Task ClaimDueApplicationsAsync_DueTimeInJst_ComparedAsInstant()
    {
        using var f = new StorageFixture(provider);
        var opening = new DateTimeOffset(2026, 4, 2, 8, 0, 0, TimeSpan.FromHours(9));
        var application = await f.AddApplicationAsync("phoneA", processAfter: opening);

        Assert.Empty(await f.Storage.ClaimDueApplicationsAsync(new DateTimeOffset(2026, 4, 1, 22, 59, 59, TimeSpan.Zero), 10, CancellationToken.None));
        var claimed = Assert.Single(await f.Storage.ClaimDueApplicationsAsync(new DateTimeOffset(2026, 4, 1, 23, 0, 0, TimeSpan.Zero), 10, CancellationToken.None));

        Assert.Equal(application.Id, claimed.Id);
        Assert.Equal(opening, claimed.ProcessAfter);
    }
}

public sealed class ApplicationQueueSqliteTests() : ApplicationQueueTests(StorageProvider.Sqlite);

public sealed class ApplicationQueuePostgresTests() : ApplicationQueueTests(StorageProvider.Postgres);
