using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// Issuance cycle, recovery (docs/issuance-cycle.md): claims are leases. The node that holds one renews it while it
/// works; a claim whose lease ran out (its node died or lost the database) is taken back by any running node.
/// </summary>
public sealed partial class StorageAuthority : IClaimLeases
{
    public async Task<IReadOnlyCollection<Guid>> RenewClaimsAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        if (applicationIds.Count == 0)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var held = db.Applications.Where(a => applicationIds.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing && a.ClaimedBy == _node.Id);
        var renewedAt = _node.WallClock.GetUtcNow();
        await held.ExecuteUpdateAsync(s => s.SetProperty(a => a.ClaimedAt, renewedAt), ct);

        // Read after the update in the same transaction: what this node still holds, renewed.
        var ids = await held.Select(a => a.Id).ToListAsync(ct);
        await tx.CommitAsync(ct);
        return ids;
    }

    public async Task<int> RequeueExpiredClaimsAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var expired = _node.WallClock.GetUtcNow() - _node.ClaimLease;
        var ids = db.Database.IsNpgsql()

            // Rows locked right now belong to a node that is renewing or completing them: alive, so skipped. A row
            // renewed while this waited is re-checked by PostgreSQL against the lease and left out.
            ? await db.Applications.FromSql($"""
                SELECT * FROM "Applications"
                WHERE "Status" = {(int)ApplicationStatus.Processing} AND ("ClaimedAt" IS NULL OR "ClaimedAt" < {expired.ToUnixTimeMilliseconds()})
                FOR UPDATE SKIP LOCKED
                """).AsNoTracking().Select(a => a.Id).ToListAsync(ct)

            // SQLite: one writer at a time (BEGIN IMMEDIATE), so nothing renews between this read and the requeue.
            : await db.Applications
                .Where(a => a.Status == (int)ApplicationStatus.Processing && (a.ClaimedAt == null || a.ClaimedAt < expired))
                .Select(a => a.Id)
                .ToListAsync(ct);
        var requeued = await RequeueAsync(db, ids, ct);
        await tx.CommitAsync(ct);
        return requeued;
    }

    public async Task AbandonAsync(IReadOnlyCollection<string> serials, CancellationToken ct)
    {
        if (serials.Count == 0)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.Certificates
            .Where(c => serials.Contains(c.Serial) && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active || c.Status == (int)CertificateStatus.Suspended))
            .ToListAsync(ct);
        await RevokeAbandonedAsync(db, rows, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Returns interrupted applications to the queue, inside the caller's transaction. Certificates an interrupted
    /// round already signed were never handed to anyone (a phone only receives the certificates of an Issued
    /// application), but they exist, so they are revoked (reason "abandoned") in whatever status they reached before
    /// the application is issued afresh with new serials. Intents that never got a signature stay Pending as a record
    /// of the reserved serial. Only applications still in Processing are touched: one whose completion committed
    /// before the failure was reported keeps its certificates.
    /// </summary>
    private async Task<int> RequeueAsync(MjpkiDbContext db, IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        if (applicationIds.Count == 0)
        {
            return 0;
        }

        var unfinished = await db.Certificates
            .Where(c => c.ApplicationId.HasValue && applicationIds.Contains(c.ApplicationId.Value)
                && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active || c.Status == (int)CertificateStatus.Suspended)
                && db.Applications.Any(a => a.Id == c.ApplicationId && a.Status == (int)ApplicationStatus.Processing))
            .ToListAsync(ct);
        await RevokeAbandonedAsync(db, unfinished, ct);
        return await db.Applications.Where(a => applicationIds.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Queued).SetProperty(a => a.ClaimedBy, (string?)null).SetProperty(a => a.ClaimedAt, (DateTimeOffset?)null), ct);
    }

    private async Task RevokeAbandonedAsync(MjpkiDbContext db, IReadOnlyList<CertificateEntity> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            // Never revoked before it was issued, even if this node's clock is behind the one that signed it.
            CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, row.IssuedAt is { } issued && issued > now ? issued : now, RevocationReasons.Abandoned);
        }

        await CertificateStatusChanges.MarkOcspStaleAsync(db, rows.Select(r => r.Serial).ToArray(), ct);
        await db.SaveChangesAsync(ct);
    }
}
