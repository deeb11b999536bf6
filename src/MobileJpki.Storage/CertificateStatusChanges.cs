using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// The one way a certificate's status changes in the database: sets the status, the revocation (or hold) time and
/// reason, and <see cref="CertificateEntity.StatusChangedAt"/>, and marks its pre-signed OCSP response stale, so the
/// revocation service signs the new answer. Every status change of every flow goes through here, inside the caller's
/// transaction; and when the change is saved, the sessions the certificate opened end in the same commit
/// (<see cref="EndSessionsOfStoppedAsync"/>, run by <see cref="MjpkiDbContext"/>'s SaveChanges, so no flow can forget it).
/// A status must therefore be changed on a tracked row, never by a bulk update.
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

    /// <summary>
    /// Ends the portal, kiosk and hospital sessions of every tracked certificate this save suspends or revokes, at the
    /// time of the change, so they are saved in the same transaction as the status (hotline suspension, the app's
    /// suspend and revoke, device change, card events and their cascades alike). Sessions are found by person (indexed)
    /// and serial. Each use of a session re-reads the status as well (SessionStore), which also covers a login that
    /// read its certificate as Active just before the change and committed its session just after.
    /// </summary>
    public static async Task EndSessionsOfStoppedAsync(MjpkiDbContext db, CancellationToken ct)
    {
        Dictionary<string, DateTimeOffset>? stopped = null;
        HashSet<Guid>? persons = null;
        foreach (var entry in db.ChangeTracker.Entries<CertificateEntity>())
        {
            var row = entry.Entity;
            if (entry.State == EntityState.Modified && entry.Property(c => c.Status).IsModified
                && row.Status is (int)CertificateStatus.Suspended or (int)CertificateStatus.Revoked)
            {
                (stopped ??= new(StringComparer.Ordinal))[row.Serial] = row.StatusChangedAt ?? DateTimeOffset.UnixEpoch;
                (persons ??= []).Add(row.PersonId);
            }
        }

        if (stopped is null || persons is null)
        {
            return;
        }

        var serials = stopped.Keys.ToArray();
        var personIds = persons.ToArray();
        var live = await db.Sessions
            .Where(s => personIds.Contains(s.PersonId) && serials.Contains(s.CertificateSerial) && s.EndedAt == null)
            .ToListAsync(ct);
        foreach (var session in live)
        {
            session.EndedAt = stopped[session.CertificateSerial];
        }
    }
}
