using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Storage;

/// <summary>
/// The shared pre-signed OCSP responses (table OcspResponses) for the revocation service's refresher and replicas
/// (docs/revocation.md). Plain reads and single-row writes; no locks, same SQL on SQLite and PostgreSQL.
/// </summary>
public sealed class OcspResponseStore(IDbContextFactory<MjpkiDbContext> contexts) : IOcspResponseStore
{
    private static readonly int[] Signed = [(int)CertificateStatus.Issued, (int)CertificateStatus.Active, (int)CertificateStatus.Suspended, (int)CertificateStatus.Revoked];

    public async Task<IReadOnlyList<StoredOcspResponse>> ReadUpdatedSinceAsync(DateTimeOffset since, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.OcspResponses.AsNoTracking()
            .Where(o => o.UpdatedAt >= since)
            .OrderBy(o => o.UpdatedAt)
            .Take(max)
            .ToListAsync(ct);
        return rows.ConvertAll(o => new StoredOcspResponse(
            (Hierarchy)o.Hierarchy, o.Serial, o.Der, (OcspCertStatus)o.CertStatus, o.ThisUpdate, o.NextUpdate, o.UpdatedAt));
    }

    public async Task<IReadOnlyList<OcspDue>> FindDueAsync(OcspDueQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = query.Now;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var live = db.Certificates.AsNoTracking().Where(c => c.Der != null && Signed.Contains(c.Status) && c.NotAfter > now);

        // Rows a status change marked stale, then rows near their nextUpdate: each an index range on (Stale, NextUpdate).
        var due = await RowsDueAsync(db, live, o => o.Stale, query.Max, ct);
        if (due.Count < query.Max)
        {
            due.AddRange(await RowsDueAsync(db, live, o => !o.Stale && o.NextUpdate <= query.RefreshBefore, query.Max - due.Count, ct));
        }

        if (query.ChangedSince is null && due.Count < query.Max)
        {
            // Signed "in the future": the clock went back (the refresher then makes a full pass).
            due.AddRange(await RowsDueAsync(db, live, o => o.ThisUpdate > now, query.Max - due.Count, ct));
        }

        // Issued certificates without a response yet.
        var missing = live.Where(c => !db.OcspResponses.Any(o => o.Serial == c.Serial));
        if (query.ChangedSince is { } since)
        {
            // Issuance sets StatusChangedAt too; its index keeps this pass small.
            missing = missing.Where(c => c.StatusChangedAt >= since);
        }

        if (due.Count < query.Max)
        {
            due.AddRange(await missing
                .OrderBy(c => c.Serial)
                .Select(c => new Row(c.Serial, c.Kind, c.Status, c.RevokedAt, c.IssuedAt, c.CreatedAt, c.RevocationReason))
                .Take(query.Max - due.Count)
                .ToListAsync(ct));
        }

        if (query.ChangedSince is null && due.Count < query.Max)
        {
            // The full pass also compares every row with its certificate: a safety net for a status change that raced
            // a refresh (docs/revocation.md, "Several nodes").
            due.AddRange(await (
                from o in db.OcspResponses.AsNoTracking()
                join c in live on o.Serial equals c.Serial
                where (c.Status == (int)CertificateStatus.Revoked && o.CertStatus != (int)OcspCertStatus.Revoked)
                    || (c.Status == (int)CertificateStatus.Suspended && o.CertStatus != (int)OcspCertStatus.OnHold)
                    || ((c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active) && o.CertStatus != (int)OcspCertStatus.Good)
                orderby c.Serial
                select new Row(c.Serial, c.Kind, c.Status, c.RevokedAt, c.IssuedAt, c.CreatedAt, c.RevocationReason))
                .Take(query.Max - due.Count)
                .ToListAsync(ct));
        }

        return [.. due
            .DistinctBy(r => r.Serial)
            .Where(r => Enum.IsDefined((CertificateKind)r.Kind))
            .Select(r => new OcspDue(
                ((CertificateKind)r.Kind).HierarchyOf(),
                r.Serial,
                RevocationStatusReader.StatusOf((CertificateStatus)r.Status, r.RevokedAt ?? r.IssuedAt ?? r.CreatedAt, r.RevocationReason)!))];
    }

    public async Task SaveAsync(StoredOcspResponse response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (await UpdateAsync(db, response, ct) == 0)
        {
            db.OcspResponses.Add(new OcspResponseEntity
            {
                Serial = response.SerialHex,
                Hierarchy = (int)response.Hierarchy,
                Der = response.Der,
                CertStatus = (int)response.CertStatus,
                ThisUpdate = response.ThisUpdate,
                NextUpdate = response.NextUpdate,
                UpdatedAt = response.UpdatedAt,
            });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another node inserted it first: both responses are valid; write ours over it.
                db.ChangeTracker.Clear();
                await UpdateAsync(db, response, ct);
            }
        }

        // A status change committed while we signed (its stale mark may have found no row yet): sign again.
        var now = await db.Certificates.AsNoTracking().Where(c => c.Serial == response.SerialHex)
            .Select(c => new { c.Status, c.RevocationReason }).FirstOrDefaultAsync(ct);
        var expected = now is null ? OcspCertStatus.Unknown : (CertificateStatus)now.Status switch
        {
            CertificateStatus.Revoked => OcspCertStatus.Revoked,
            CertificateStatus.Suspended => OcspCertStatus.OnHold,
            CertificateStatus.Issued or CertificateStatus.Active => OcspCertStatus.Good,
            _ => OcspCertStatus.Unknown,
        };
        if (expected != response.CertStatus)
        {
            await db.OcspResponses.Where(o => o.Serial == response.SerialHex).ExecuteUpdateAsync(s => s.SetProperty(o => o.Stale, true), ct);
        }
    }

    private static Task<List<Row>> RowsDueAsync(
        MjpkiDbContext db,
        IQueryable<CertificateEntity> live,
        System.Linq.Expressions.Expression<Func<OcspResponseEntity, bool>> which,
        int max,
        CancellationToken ct) =>
        (from o in db.OcspResponses.AsNoTracking().Where(which)
         join c in live on o.Serial equals c.Serial
         orderby o.NextUpdate
         select new Row(c.Serial, c.Kind, c.Status, c.RevokedAt, c.IssuedAt, c.CreatedAt, c.RevocationReason))
        .Take(max)
        .ToListAsync(ct);

    private static Task<int> UpdateAsync(MjpkiDbContext db, StoredOcspResponse r, CancellationToken ct) =>
        db.OcspResponses.Where(o => o.Serial == r.SerialHex).ExecuteUpdateAsync(
            s => s
                .SetProperty(o => o.Hierarchy, (int)r.Hierarchy)
                .SetProperty(o => o.Der, r.Der)
                .SetProperty(o => o.CertStatus, (int)r.CertStatus)
                .SetProperty(o => o.ThisUpdate, r.ThisUpdate)
                .SetProperty(o => o.NextUpdate, r.NextUpdate)
                .SetProperty(o => o.UpdatedAt, r.UpdatedAt)
                .SetProperty(o => o.Stale, false),
            ct);

    private sealed record Row(string Serial, int Kind, int Status, DateTimeOffset? RevokedAt, DateTimeOffset? IssuedAt, DateTimeOffset CreatedAt, string? RevocationReason);
}
