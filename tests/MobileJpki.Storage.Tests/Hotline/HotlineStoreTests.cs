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

        Assert.True(await store.TryAddOperatorAsync(Account("alice"), CancellationToken.None));
        Assert.False(await store.TryAddOperatorAsync(Account("alice"), CancellationToken.None));

        await using var db = _database.Open();
        Assert.Equal(1, await db.Operators.CountAsync(o => o.Name == "alice"));
    }

    [Fact]
    public async Task RecordFailedSignInAsync_Concurrent_CountsEveryFailure()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("bob");
        await store.TryAddOperatorAsync(account, CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => store.RecordFailedSignInAsync(account.Id, CancellationToken.None)));

        Assert.Equal(6, (await store.FindOperatorAsync("bob", CancellationToken.None))!.FailedSignIns);
        await store.ResetFailedSignInsAsync(account.Id, CancellationToken.None);
        Assert.Equal(0, (await store.FindOperatorAsync("bob", CancellationToken.None))!.FailedSignIns);
    }

    [Fact]
    public async Task FindSessionOperatorAsync_ExpiredSession_IsNotFound()
    {
        var store = new HotlineStore(_database.Factory);
        var account = Account("carol");
        await store.TryAddOperatorAsync(account, CancellationToken.None);
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

    private static OperatorAccount Account(string name)
    {
        var (hash, salt) = OperatorPasswords.Hash("correct horse battery", 1_000);
        return new OperatorAccount(Guid.NewGuid(), name, OperatorRules.Operator, hash, salt, 1_000, false, 0, Now);
    }
}

public sealed class HotlineStoreSqliteTests() : HotlineStoreTests(StorageProvider.Sqlite);

public sealed class HotlineStorePostgresTests() : HotlineStoreTests(StorageProvider.Postgres);
