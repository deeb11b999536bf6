using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// The one way a certificate's status changes in the database: sets the status, the revocation (or hold) time and
/// reason, and <see cref="CertificateEntity.StatusChangedAt"/>, and marks its pre-signed OCSP response stale, so the
/// revocation service signs the new answer. Every status change of every flow goes through here, inside the caller's
/// transaction.
/// </summary>
internal static class CertificateStatusChanges
{
    /// <summary>Changes a tracked row; call <see cref="MarkOcspStaleAsync"/> for the changed serials before saving.</summary>
    public static void Apply(CertificateEntity row, CertificateStatus to, DateTimeOffset at, string? reason)
    {
        var from = (CertificateStatus)row.Status;
        row.Status = (int)to;
        row.StatusChangedAt = at;
        switch (to)
        {
            case CertificateStatus.Revoked:
                // A hold made final keeps the time the certificate stopped being trusted (RFC 5280 §5.3.2 invalidity
                // is not used, so the revocation date is the hold's).
                row.RevokedAt = from == CertificateStatus.Suspended && row.RevokedAt is not null ? row.RevokedAt : at;
                row.RevocationReason = reason;
                break;
            case CertificateStatus.Suspended:
                row.RevokedAt = at;
                row.RevocationReason = reason ?? RevocationReasons.Hold;
                break;
            default:
                // Released from hold (or issued / activated): no revocation data any more.
                row.RevokedAt = null;
                row.RevocationReason = null;
                break;
        }
    }

    /// <summary>Marks the pre-signed OCSP responses of these certificates stale (rows that do not exist yet are signed on first sight).</summary>
    public static async Task MarkOcspStaleAsync(MjpkiDbContext db, IReadOnlyCollection<string> serials, CancellationToken ct)
    {
        if (serials.Count == 0)
        {
            return;
        }

        var list = serials.ToArray();
        await db.OcspResponses.Where(o => list.Contains(o.Serial)).ExecuteUpdateAsync(s => s.SetProperty(o => o.Stale, true), ct);
    }
}
