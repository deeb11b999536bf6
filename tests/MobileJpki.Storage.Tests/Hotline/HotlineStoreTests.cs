using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests.Hotline;

/// <summary>Operator accounts and sessions on both providers: <see cref="HotlineStoreSqliteTests"/> and <see cref="HotlineStorePostgresTests"/>.</summary>
public abstract class HotlineStoreTests(StorageProvider provider) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = new(provider);

    [Fact]
    public async Task TryAddOperatorAsync_SameNameTwice_SecondIsRefused()
    {
        var store = new HotlineStore(_database.Factory);

        Assert.True(await store.TryAddOperatorAsync(Account("alice"), Added("alice"), CancellationToken.None));
        Assert.False(await store.TryAddOperatorAsync(Account("alice"), Added("alice"), CancellationToken.None));

        // The refused add wrote no entry: the act and its entry go together.
        await using var db = _database.Open();
        Assert.Equal(1, await db.Operators.CountAsync(o => o.Name == "alice"));
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "operator.add"));
    }

    [Fact]
    public async Task CountSignInAttemptAsync_FiftyAtOnce_EachGetsItsOwnCountAndOneLock()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("bob");
        await store.TryAddOperatorAsync(account, Added("bob"), CancellationToken.None);
        var locks = 0;

        var counted = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => store.CountSignInAttemptAsync(
            account.Id,
            "10.0.0.66",
            Now,
            a =>
            {
                if (a.Attempts >= 5 && a.LockedUntil is null)
                {
                    Interlocked.Increment(ref locks);
                }

                return new SignInDecision(a.Attempts >= 5 && a.LockedUntil is null ? Now.AddMinutes(1) : null, null);
            },
            CancellationToken.None))));

        // Atomic counting: 1..50 each exactly once, so exactly 5 attempts ever see a count within the limit.
        Assert.Equal(Enumerable.Range(1, 50), counted.Select(c => c.Attempts).Order());
        Assert.Equal(50, counted.Select(c => c.Version).Distinct().Count());
        Assert.Equal(1, locks);
        await using var db = _database.Open();
        var row = await db.SignInThrottles.SingleAsync();
        Assert.Equal((50, 1, Now.AddMinutes(1)), (row.Attempts, row.Lockouts, row.LockedUntil));
    }

    [Fact]
    public async Task CountSignInAttemptAsync_LockRanOut_CountStartsAgainAndLockoutsAreKept()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("bea");
        await store.TryAddOperatorAsync(account, Added("bea"), CancellationToken.None);
        await store.CountSignInAttemptAsync(account.Id, "s", Now, _ => new SignInDecision(Now.AddMinutes(1), null), CancellationToken.None);

        var locked = await store.CountSignInAttemptAsync(account.Id, "s", Now.AddSeconds(59), _ => new SignInDecision(null, null), CancellationToken.None);
        var after = await store.CountSignInAttemptAsync(account.Id, "s", Now.AddMinutes(1), _ => new SignInDecision(null, null), CancellationToken.None);
        var otherSource = await store.CountSignInAttemptAsync(account.Id, "t", Now, _ => new SignInDecision(null, null), CancellationToken.None);

        Assert.Equal((2, Now.AddMinutes(1)), (locked.Attempts, locked.LockedUntil));
        Assert.Equal((1, 1, (DateTimeOffset?)null), (after.Attempts, after.Lockouts, after.LockedUntil));
        Assert.Equal((1, 0), (otherSource.Attempts, otherSource.Lockouts));
    }

    [Fact]
    public async Task CompleteSignInAsync_AnotherAttemptCountedMeanwhile_WritesNothing()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("cid");
        await store.TryAddOperatorAsync(account, Added("cid"), CancellationToken.None);
        var mine = await store.CountSignInAttemptAsync(account.Id, "s", Now, _ => new SignInDecision(null, null), CancellationToken.None);
        await store.CountSignInAttemptAsync(account.Id, "s", Now, _ => new SignInDecision(null, null), CancellationToken.None);
        var session = new OperatorSessionRecord(new string('d', 64), account.Id, Now, Now.AddHours(8), "s");
        var ok = new MobileJpki.Core.Audit.AuditEvent("operator:cid", "operator", "operator.sign-in", "cid", null, "s", "ok");

        Assert.False(await store.CompleteSignInAsync(account.Id, "s", mine, session, ok, CancellationToken.None));

        await using var db = _database.Open();
        Assert.Equal(0, await db.OperatorSessions.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync(e => e.Action == "operator.sign-in"));
        Assert.Equal(2, (await db.SignInThrottles.SingleAsync()).Attempts);
        var latest = await store.CountSignInAttemptAsync(account.Id, "s", Now, _ => new SignInDecision(null, null), CancellationToken.None);
        Assert.True(await store.CompleteSignInAsync(account.Id, "s", latest, session, ok, CancellationToken.None));
        Assert.Equal(0, await db.SignInThrottles.CountAsync());
        Assert.Equal(1, await db.OperatorSessions.CountAsync());
        Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "operator.sign-in"));
    }

    [Fact]
    public async Task UnlockOperatorAsync_ForgetsEverySourceAndAudits()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("dan");
        await store.TryAddOperatorAsync(account, Added("dan"), CancellationToken.None);
        foreach (var source in new[] { "a", "b" })
        {
            await store.CountSignInAttemptAsync(account.Id, source, Now, _ => new SignInDecision(Now.AddHours(1), null), CancellationToken.None);
        }

        await store.UnlockOperatorAsync(account.Id, new("operator:alice", "supervisor", "operator.unlock", "dan", null, null, "ok"), CancellationToken.None);

        await using var db = _database.Open();
        Assert.Equal(0, await db.SignInThrottles.CountAsync());
        Assert.Equal(["operator.add", "operator.unlock"], await db.AuditEntries.OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
    }

    [Fact]
    public async Task FindSessionOperatorAsync_ExpiredSession_IsNotFound()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("carol");
        await store.TryAddOperatorAsync(account, Added("carol"), CancellationToken.None);
        await store.AddSessionAsync(new OperatorSessionRecord(new string('a', 64), account.Id, Now, Now.AddHours(8), "127.0.0.1"), CancellationToken.None);

        Assert.Equal("carol", (await store.FindSessionOperatorAsync(new string('a', 64), Now.AddHours(7), CancellationToken.None))?.Name);
        Assert.Null(await store.FindSessionOperatorAsync(new string('a', 64), Now.AddHours(8), CancellationToken.None));
        Assert.Null(await store.FindSessionOperatorAsync(new string('b', 64), Now, CancellationToken.None));
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    private static MobileJpki.Core.Audit.AuditEvent Added(string name) => new("system", null, "operator.add", name, null, null, "ok");

    private static OperatorAccount Account(string name)
    {
        var (hash, salt) = OperatorPasswords.Hash("correct horse battery", 1_000);
        return new OperatorAccount(Guid.NewGuid(), name, OperatorRules.Operator, hash, salt, 1_000, false, 0, Now);
    }
}

public sealed class HotlineStoreSqliteTests() : HotlineStoreTests(StorageProvider.Sqlite);

public sealed class HotlineStorePostgresTests() : HotlineStoreTests(StorageProvider.Postgres);
