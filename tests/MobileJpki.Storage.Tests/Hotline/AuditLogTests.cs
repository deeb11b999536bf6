using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core.Audit;

namespace MobileJpki.Storage.Tests.Hotline;

/// <summary>The audit log on both providers: <see cref="AuditLogSqliteTests"/> and <see cref="AuditLogPostgresTests"/>.</summary>
public abstract class AuditLogTests(StorageProvider provider) : IDisposable
{
    private readonly TestDatabase _database = new(provider);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, 123, TimeSpan.Zero));

    [Fact]
    public async Task AppendAsync_Sequentially_ChainsFromGenesisAndVerifies()
    {
        var log = new AuditLog(_database.Factory, _time);

        Assert.Equal(1, await log.AppendAsync(Event("a"), CancellationToken.None));
        _time.Advance(TimeSpan.FromTicks(12_345)); // sub-millisecond parts are dropped before hashing
        Assert.Equal(2, await log.AppendAsync(Event("b"), CancellationToken.None));

        var entries = await log.ReadAsync(0, 100, CancellationToken.None);
        Assert.Equal(AuditChain.GenesisHash, entries[0].PreviousHash);
        Assert.Equal(entries[0].Hash, entries[1].PreviousHash);
        Assert.True(AuditChain.Verify(entries).Ok);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentWriters_NeverFork()
    {
        // Separate AuditLog instances over separate factories stand for separate nodes on one database.
        const int Writers = 4;
        const int PerWriter = 15;
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var options = (DbContextOptions<MjpkiDbContext>)MjpkiDatabase.Configure(new DbContextOptionsBuilder<MjpkiDbContext>(), provider, _database.ConnectionString).Options;
            var log = new AuditLog(new PooledDbContextFactory<MjpkiDbContext>(options), TimeProvider.System);
            var sequences = new List<long>();
            for (var i = 0; i < PerWriter; i++)
            {
                sequences.Add(await log.AppendAsync(Event($"w{w}-{i}"), CancellationToken.None));
            }

            return sequences;
        })).ToArray();
        var all = (await Task.WhenAll(tasks)).SelectMany(s => s).Order().ToArray();

        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), all);
        var entries = await new AuditLog(_database.Factory, _time).ReadAsync(0, 1000, CancellationToken.None);
        var result = AuditChain.Verify(entries);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(Writers * PerWriter, result.Count);
    }

    [Fact]
    public async Task Verify_ReasonChangedInTheDatabase_NamesThatEntry()
    {
        var log = await FilledAsync(5);
        await using (var db = _database.Open())
        {
            await db.AuditEntries.Where(a => a.Sequence == 3).ExecuteUpdateAsync(s => s.SetProperty(a => a.Reason, "edited"));
        }

        var result = AuditChain.Verify(await log.ReadAsync(0, 100, CancellationToken.None));

        Assert.False(result.Ok);
        Assert.Equal(3, result.BrokenSequence);
    }

    [Fact]
    public async Task Verify_RowDeletedInTheDatabase_NamesTheGap()
    {
        var log = await FilledAsync(5);
        await using (var db = _database.Open())
        {
            await db.AuditEntries.Where(a => a.Sequence == 2).ExecuteDeleteAsync();
        }

        var result = AuditChain.Verify(await log.ReadAsync(0, 100, CancellationToken.None));

        Assert.False(result.Ok);
        Assert.Equal(2, result.BrokenSequence);
        Assert.Contains("missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Pages_ReturnsEntriesAboveAfterInOrder()
    {
        var log = await FilledAsync(7);

        var page = await log.ReadAsync(3, 2, CancellationToken.None);

        Assert.Equal([4L, 5L], page.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Checkpoint_TailRowsDeletedInTheDatabase_VerifyNamesTheMissingRange()
    {
        var log = await FilledAsync(57);
        var checkpoint = await Checkpoints(log).MakeAsync(CancellationToken.None);
        await using (var db = _database.Open())
        {
            // The tail is cut directly in the database: what is left is a perfectly linked chain.
            await db.AuditEntries.Where(a => a.Sequence > 40).ExecuteDeleteAsync();
        }

        var entries = await log.ReadAsync(0, 1000, CancellationToken.None);
        Assert.True(AuditChain.Verify(entries).Ok);
        var result = AuditChain.Verify(entries, checkpoint.Sequence, checkpoint.HeadHash);

        Assert.False(result.Ok);
        Assert.Equal(57, checkpoint.Sequence);
        Assert.Contains("entries 41–57 missing after sequence 40", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_LastRowRewrittenWithItsHashRecomputed_VerifyFailsAgainstIt()
    {
        var log = await FilledAsync(6);
        var checkpoint = await Checkpoints(log).MakeAsync(CancellationToken.None);
        await using (var db = _database.Open())
        {
            var last = await db.AuditEntries.SingleAsync(a => a.Sequence == 6);
            last.Outcome = "forbidden";
            last.Hash = AuditChain.ComputeHash(last.PreviousHash, last.Sequence, last.At, new AuditEvent(last.Actor, last.Role, last.Action, last.Target, last.Reason, last.Source, last.Outcome));
            await db.SaveChangesAsync();
        }

        var entries = await log.ReadAsync(0, 1000, CancellationToken.None);
        Assert.True(AuditChain.Verify(entries).Ok);
        var result = AuditChain.Verify(entries, checkpoint.Sequence, checkpoint.HeadHash);

        Assert.False(result.Ok);
        Assert.Contains("entry 6 was rewritten", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_TwoNodes_SignWithTheOneStoredAuditKey()
    {
        var log = await FilledAsync(2);
        var first = Checkpoints(log);
        var second = new MobileJpki.Ra.AuditCheckpoints(
            new AuditLog(_database.Factory, _time),
            new ServiceKeyStore(_database.Factory, _time),
            _time);

        var a = await first.MakeAsync(CancellationToken.None);
        var b = await second.MakeAsync(CancellationToken.None);
        var key = await second.PublicKeyAsync(CancellationToken.None);

        Assert.Equal(a.KeyId, b.KeyId);
        Assert.Equal(a.KeyId, key.KeyId);
        using var pub = System.Security.Cryptography.ECDsa.Create();
        pub.ImportFromPem(key.PublicKeyPem);
        Assert.Null(a.Check(pub.ExportSubjectPublicKeyInfo()));
        await using var db = _database.Open();
        Assert.Equal(1, await db.ServiceKeys.CountAsync(k => k.Name == MobileJpki.Ra.AuditCheckpoints.KeyName));
    }

    [Fact]
    public async Task Checkpoint_EmptyLog_SignsTheGenesisHead()
    {
        var checkpoint = await Checkpoints(new AuditLog(_database.Factory, _time)).MakeAsync(CancellationToken.None);

        Assert.Equal((0L, AuditChain.GenesisHash), (checkpoint.Sequence, checkpoint.HeadHash));
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    private MobileJpki.Ra.AuditCheckpoints Checkpoints(AuditLog log) => new(log, new ServiceKeyStore(_database.Factory, _time), _time);

    private static AuditEvent Event(string target) => new("operator:alice", "operator", "hotline.suspend", target, "lost phone", "127.0.0.1", "ok");

    private async Task<AuditLog> FilledAsync(int count)
    {
        var log = new AuditLog(_database.Factory, _time);
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(Event("p" + i), CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        return log;
    }
}

public sealed class AuditLogSqliteTests() : AuditLogTests(StorageProvider.Sqlite);

public sealed class AuditLogPostgresTests() : AuditLogTests(StorageProvider.Postgres);
