using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation;

namespace MobileJpki.Storage;

/// <summary>
/// The revocation service's read-only view of the certificates table (docs/revocation.md): read without tracking,
/// one primary-key lookup per live OCSP answer, one scan of revoked rows per CRL.
/// </summary>
/// <remarks>
/// Pending rows (serial reserved, never signed) are unknown: no such certificate exists. Issued and Active are good,
/// also after NotAfter: RFC 6960 lets a responder answer for expired certificates and "good" only says "not revoked";
/// relying parties check validity themselves. Revoked is revoked, expired or not (the CRL leaves expired ones out).
/// Suspended is on hold: revoked with reason certificateHold, from the time the hold began, until it is lifted.
/// </remarks>
public sealed class RevocationStatusReader(IDbContextFactory<MjpkiDbContext> contexts) : IRevocationStatusReader
{
    public async Task<CertificateStatusInfo?> GetAsync(Hierarchy hierarchy, string serialHex, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.Certificates.AsNoTracking()
            .Where(c => c.Serial == serialHex)
            .Select(c => new { c.Kind, c.Status, c.RevokedAt, c.RevocationReason, c.IssuedAt, c.CreatedAt })
            .FirstOrDefaultAsync(ct);
        if (row is null || !Enum.IsDefined((CertificateKind)row.Kind) || ((CertificateKind)row.Kind).HierarchyOf() != hierarchy)
        {
            return null;
        }

        return StatusOf((CertificateStatus)row.Status, row.RevokedAt ?? row.IssuedAt ?? row.CreatedAt, row.RevocationReason);
    }

    public async Task<IReadOnlyList<RevokedEntry>> GetRevokedAsync(Hierarchy hierarchy, DateTimeOffset notExpiredAt, int? partition, CancellationToken ct)
    {
        var kinds = KindsOf(hierarchy);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.Certificates.AsNoTracking()
            .Where(c => (c.Status == (int)CertificateStatus.Revoked || c.Status == (int)CertificateStatus.Suspended) && kinds.Contains(c.Kind) && c.NotAfter > notExpiredAt);
        if (partition is { } p)
        {
            query = query.Where(c => c.CrlShard == p);
        }

        var rows = await query
            .Select(c => new { c.Serial, c.Status, c.RevokedAt, c.IssuedAt, c.CreatedAt, c.RevocationReason })
            .ToListAsync(ct);
        return rows.ConvertAll(r => new RevokedEntry(
            r.Serial,
            r.RevokedAt ?? r.IssuedAt ?? r.CreatedAt,
            r.Status == (int)CertificateStatus.Suspended ? RevocationReasons.Hold : r.RevocationReason));
    }

    /// <summary>The answer for a signed certificate in <paramref name="status"/>; null (unknown) for Pending and unknown values.</summary>
    /// <param name="revokedAt">When it was revoked or put on hold (a revoked row always has it; should one not, its issue time is surely not after the revocation).</param>
    internal static CertificateStatusInfo? StatusOf(CertificateStatus status, DateTimeOffset revokedAt, string? reason) => status switch
    {
        CertificateStatus.Issued or CertificateStatus.Active => CertificateStatusInfo.Good,
        CertificateStatus.Revoked => CertificateStatusInfo.RevokedFor(revokedAt, reason),
        CertificateStatus.Suspended => CertificateStatusInfo.RevokedFor(revokedAt, RevocationReasons.Hold),
        _ => null,
    };

    internal static int[] KindsOf(Hierarchy hierarchy) =>
        [.. Enum.GetValues<CertificateKind>().Where(k => k.HierarchyOf() == hierarchy).Select(k => (int)k)];
}
