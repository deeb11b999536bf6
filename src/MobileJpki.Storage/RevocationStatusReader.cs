using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation;

namespace MobileJpki.Storage;

/// <summary>
/// The revocation service's read-only view of the certificates table (docs/revocation.md): read without tracking,
/// one primary-key lookup per OCSP answer, one scan of revoked rows per CRL.
/// </summary>
/// <remarks>
/// Pending rows (serial reserved, never signed) are unknown: no such certificate exists. Issued and Active are good,
/// also after NotAfter: RFC 6960 lets a responder answer for expired certificates and "good" only says "not revoked";
/// relying parties check validity themselves. Revoked is revoked, expired or not (the CRL leaves expired ones out).
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

        return (CertificateStatus)row.Status switch
        {
            CertificateStatus.Issued or CertificateStatus.Active => CertificateStatusInfo.Good,

            // A revoked row always has RevokedAt; should one not, its issue time is surely not after the revocation.
            CertificateStatus.Revoked => CertificateStatusInfo.RevokedFor(row.RevokedAt ?? row.IssuedAt ?? row.CreatedAt, row.RevocationReason),
            _ => null,
        };
    }

    public async Task<IReadOnlyList<RevokedEntry>> GetRevokedAsync(Hierarchy hierarchy, DateTimeOffset notExpiredAt, CancellationToken ct)
    {
        var kinds = Enum.GetValues<CertificateKind>().Where(k => k.HierarchyOf() == hierarchy).Select(k => (int)k).ToArray();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking()
            .Where(c => c.Status == (int)CertificateStatus.Revoked && kinds.Contains(c.Kind) && c.NotAfter > notExpiredAt)
            .Select(c => new { c.Serial, c.RevokedAt, c.IssuedAt, c.CreatedAt, c.RevocationReason })
            .ToListAsync(ct);
        return rows.ConvertAll(r => new RevokedEntry(r.Serial, r.RevokedAt ?? r.IssuedAt ?? r.CreatedAt, r.RevocationReason));
    }
}
