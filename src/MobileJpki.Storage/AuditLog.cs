using Microsoft.EntityFrameworkCore;
using MobileJpki.Core.Audit;

namespace MobileJpki.Storage;

/// <summary>
/// The append-only, hash-chained audit log (docs/operations.md, "Hotline and audit log"). Appends are serialized
/// across every node — a PostgreSQL transaction-scoped advisory lock, SQLite's single writer (BEGIN IMMEDIATE) — so
/// each entry reads the true head and the chain never forks; the primary key on the sequence is the backstop.
/// </summary>
/// <remarks>
/// An act and its entry commit together: the stores that perform an audited act call
/// <see cref="AppendAsync(MjpkiDbContext, AuditEvent, DateTimeOffset, CancellationToken)"/> inside their own
/// transaction, so a crash loses both or neither. <see cref="AppendAsync(AuditEvent, CancellationToken)"/> is for
/// what writes nothing else (a refusal, a search, a read of the log).
/// </remarks>
public sealed class AuditLog(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time) : IAuditLog, IAuditReader
{
    /// <summary>Namespace and key of the advisory lock that serializes appends (PostgreSQL).</summary>
    private const int AuditLockClass = 0x4155;

    private const int AuditLockKey = 1;

    public async Task<long> AppendAsync(AuditEvent entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var sequence = await AppendAsync(db, entry, time.GetUtcNow(), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return sequence;
    }

    /// <summary>
    /// Adds <paramref name="entry"/> as the next link to <paramref name="db"/>'s open transaction; the caller's
    /// SaveChanges and commit write it with the act. Call it last, just before saving: on PostgreSQL the append lock
    /// is held from here until the commit, and every writer takes it after its other locks (no lock cycle).
    /// </summary>
    internal static async Task<long> AppendAsync(MjpkiDbContext db, AuditEvent entry, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("An audit entry is appended inside the transaction of the act it records.");
        }

        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AuditLockClass}, {AuditLockKey})", ct);
        }

        var head = await db.AuditEntries.AsNoTracking()
            .OrderByDescending(a => a.Sequence)
            .Select(a => new { a.Sequence, a.Hash })
            .FirstOrDefaultAsync(ct);
        var sequence = (head?.Sequence ?? 0) + 1;
        var previous = head?.Hash ?? AuditChain.GenesisHash;
        var stamped = AuditChain.Normalize(at);
        db.AuditEntries.Add(new AuditEntryEntity
        {
            Sequence = sequence,
            At = stamped,
            Actor = entry.Actor,
            Role = entry.Role,
            Action = entry.Action,
            Target = entry.Target,
            Reason = entry.Reason,
            Source = entry.Source,
            Outcome = entry.Outcome,
            PreviousHash = previous,
            Hash = AuditChain.ComputeHash(previous, sequence, stamped, entry),
        });
        return sequence;
    }

    /// <summary>Appends <paramref name="entry"/> when there is one (acts that are audited only for some callers).</summary>
    internal static async Task AppendIfAnyAsync(MjpkiDbContext db, AuditEvent? entry, DateTimeOffset at, CancellationToken ct)
    {
        if (entry is not null)
        {
            await AppendAsync(db, entry, at, ct);
        }
    }

    public async Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.AuditEntries.AsNoTracking()
            .Where(a => a.Sequence > afterSequence)
            .OrderBy(a => a.Sequence)
            .Take(Math.Clamp(max, 1, 10_000))
            .ToListAsync(ct);
        return rows.ConvertAll(a => new AuditRecord(a.Sequence, a.At, a.Actor, a.Role, a.Action, a.Target, a.Reason, a.Source, a.Outcome, a.PreviousHash, a.Hash));
    }

    public async Task<AuditHead?> ReadHeadAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var head = await db.AuditEntries.AsNoTracking()
            .OrderByDescending(a => a.Sequence)
            .Select(a => new { a.Sequence, a.Hash })
            .FirstOrDefaultAsync(ct);
        return head is null ? null : new AuditHead(head.Sequence, head.Hash);
    }
}
