using Microsoft.EntityFrameworkCore;

namespace MobileJpki.Storage;

/// <summary>
/// Per-person transaction locks: every write that decides on a person's certificates (issuance completion, the
/// one-device rule, suspension, resume, revocation, card events) takes its person's lock first, so two nodes never
/// decide on stale reads of the same person.
/// </summary>
internal static class PersonLocks
{
    /// <summary>Namespace of the transaction-scoped advisory locks (PostgreSQL).</summary>
    private const int PersonLockClass = 0x4D4A;

    /// <summary>Takes the locks inside the current transaction, in key order (no deadlock between two takers).</summary>
    /// <remarks>SQLite needs nothing: BEGIN IMMEDIATE already serializes every writer.</remarks>
    public static async Task LockAsync(MjpkiDbContext db, IReadOnlyCollection<Guid> personIds, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql() || personIds.Count == 0)
        {
            return;
        }

        var keys = personIds.Select(p => p.ToString()).ToArray();
        await db.Database.ExecuteSqlAsync(
            $"""
            SELECT pg_advisory_xact_lock({PersonLockClass}, k)
            FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest({keys}) AS id ORDER BY 1) AS persons
            """,
            ct);
    }
}
