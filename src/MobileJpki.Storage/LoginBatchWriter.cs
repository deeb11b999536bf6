using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Storage;

/// <summary>
/// Group commit for logins: every login that arrives while a commit is running waits in a queue, and the next
/// transaction writes all of them (up to <see cref="MaxBatch"/>) — the used challenges (one multi-row INSERT … ON
/// CONFLICT DO NOTHING RETURNING, so a challenge used before, on any node, is simply not returned), then the sessions
/// and usage rows of the logins whose challenge went in. A login is answered only after that commit. When the queue
/// is empty a login is written at once, alone: grouping adds no wait, it only replaces N commits with one under load.
/// </summary>
/// <remarks>
/// A challenge answered twice in one group: the first wins, the other is told "used". Should a group fail for any
/// other reason, each of its logins is tried again in a transaction of its own, so one bad row fails only its login.
/// Used-challenge rows are deleted <see cref="UsedRetention"/> after they expired (the MAC-ed expiry refuses them by
/// then anyway), at most once a minute, by this writer.
/// </remarks>
public sealed partial class LoginBatchWriter(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time, ILogger<LoginBatchWriter> logger) : ILoginWriter, IAsyncDisposable
{
    /// <summary>The most logins written in one transaction.</summary>
    public const int MaxBatch = 256;

    /// <summary>How long a used login challenge is kept after it expired.</summary>
    public static readonly TimeSpan UsedRetention = TimeSpan.FromMinutes(10);

    private const int RowsPerInsert = 100;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _startLock = new();
    private Task? _loop;
    private DateTimeOffset _nextPrune = DateTimeOffset.MinValue;

    /// <summary>Transactions committed so far (for tests and benchmarks: fewer than logins under load).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    private long _commits;

    public Task<bool> CommitAsync(LoginCommit login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(login);
        EnsureStarted();
        var pending = new Pending(login);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(LoginBatchWriter));
        }

        // A cancelled request stops waiting; its login may still be committed (as if the answer were lost on the wire).
        return pending.Done.Task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            await WriteGroupAsync(batch).ConfigureAwait(false);
            await PruneAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteGroupAsync(List<Pending> batch)
    {
        // The same challenge twice in one group: only the first goes to the database.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = new List<Pending>(batch.Count);
        foreach (var p in batch)
        {
            if (seen.Add(p.Login.ChallengeId))
            {
                unique.Add(p);
            }
            else
            {
                p.Done.TrySetResult(false);
            }
        }

        try
        {
            var inserted = await WriteAsync(unique).ConfigureAwait(false);
            foreach (var p in unique)
            {
                p.Done.TrySetResult(inserted.Contains(p.Login.ChallengeId));
            }
        }
        catch (Exception e) when (unique.Count > 1 && e is DbException or DbUpdateException)
        {
            LogGroupFailed(logger, unique.Count, e);
            foreach (var p in unique)
            {
                await WriteGroupAsync([p]).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            foreach (var p in unique)
            {
                p.Done.TrySetException(e);
            }
        }
    }

    /// <summary>One transaction for the group; returns the challenge ids that were new (their logins were written).</summary>
    private async Task<HashSet<string>> WriteAsync(List<Pending> group)
    {
        await using var db = await contexts.CreateDbContextAsync().ConfigureAwait(false);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync().ConfigureAwait(false);
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < group.Count; i += RowsPerInsert)
        {
            await InsertChallengesAsync(db, tx, group.GetRange(i, Math.Min(RowsPerInsert, group.Count - i)), inserted).ConfigureAwait(false);
        }

        foreach (var p in group)
        {
            if (!inserted.Contains(p.Login.ChallengeId))
            {
                continue;
            }

            var s = p.Login.Session;
            db.Sessions.Add(new SessionEntity
            {
                TokenHash = s.TokenHash,
                Audience = s.Audience,
                PersonId = s.PersonId,
                CertificateSerial = s.CertificateSerial,
                CertificateKind = (int)s.Kind,
                Party = s.Party,
                CreatedAt = s.CreatedAt,
                ExpiresAt = s.ExpiresAt,
            });
            var u = p.Login.Usage;
            db.Usage.Add(new UsageEntity
            {
                PersonId = u.PersonId,
                At = u.At,
                Kind = u.Kind,
                CertificateSerial = u.CertificateSerial,
                Party = u.Party is { Length: > 128 } party ? party[..128] : u.Party,
                Detail = u.Detail is { Length: > 256 } d ? d[..256] : u.Detail,
            });
        }

        await db.SaveChangesAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _commits);
        return inserted;
    }

    /// <summary>
    /// Inserts the used challenges; those already present (used before, on any node) are skipped by the unique key and
    /// not returned. SQLite (3.35+) and PostgreSQL both speak this statement.
    /// </summary>
    private static async Task InsertChallengesAsync(MjpkiDbContext db, IDbContextTransaction tx, List<Pending> rows, HashSet<string> inserted)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        var sql = new System.Text.StringBuilder("""INSERT INTO "Challenges" ("Id", "Purpose", "Subject", "CreatedAt", "ExpiresAt", "UsedAt") VALUES """);
        for (var i = 0; i < rows.Count; i++)
        {
            var login = rows[i].Login;
            sql.Append(i == 0 ? string.Empty : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@i{i}, @p{i}, @s{i}, @a{i}, @e{i}, @a{i})");
            Add(command, $"@i{i}", login.ChallengeId);
            Add(command, $"@p{i}", login.Purpose);
            Add(command, $"@s{i}", login.Subject);
            Add(command, $"@a{i}", login.At.ToUnixTimeMilliseconds());
            Add(command, $"@e{i}", login.ChallengeExpiresAt.ToUnixTimeMilliseconds());
        }

        sql.Append(""" ON CONFLICT ("Id") DO NOTHING RETURNING "Id" """);
        command.CommandText = sql.ToString();
        await using var result = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await result.ReadAsync().ConfigureAwait(false))
        {
            inserted.Add(result.GetString(0));
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private async Task PruneAsync()
    {
        var now = time.GetUtcNow();
        if (now < _nextPrune)
        {
            return;
        }

        _nextPrune = now + PruneEvery;
        try
        {
            await using var db = await contexts.CreateDbContextAsync().ConfigureAwait(false);
            var before = now - UsedRetention;
            await db.Challenges.Where(c => c.ExpiresAt < before && c.UsedAt != null && c.Purpose.StartsWith("login-")).ExecuteDeleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or DbUpdateException or InvalidOperationException)
        {
            // Pruning is housekeeping: the next round tries again.
            LogPruneFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group of {Count} logins failed to commit; writing each alone")]
    private static partial void LogGroupFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning used login challenges failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    private sealed class Pending(LoginCommit login)
    {
        public LoginCommit Login { get; } = login;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
