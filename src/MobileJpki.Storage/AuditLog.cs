using Microsoft.EntityFrameworkCore;
using MobileJpki.Core.Audit;

namespace MobileJpki.Storage;

/// <summary>
/// The append-only, hash-chained audit log (docs/operations.md, "Hotline and audit log"). Appends are serialized
/// across every node — a PostgreSQL transaction-scoped advisory lock, SQLite's single writer (BEGIN IMMEDIATE) — so
/// each entry reads the true head and the chain never forks; the primary key on the sequence is the backstop.
/// </summary>
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
        var at = AuditChain.Normalize(time.GetUtcNow());
        db.AuditEntries.Add(new AuditEntryEntity
        {
            Sequence = sequence,
            At = at,
            Actor = entry.Actor,
            Role = entry.Role,
            Action = entry.Action,
            Target = entry.Target,
            Reason = entry.Reason,
            Source = entry.Source,
            Outcome = entry.Outcome,
            PreviousHash = previous,
            Hash = AuditChain.ComputeHash(previous, sequence, at, entry),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return sequence;
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
}
