using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The SA side of the certificate lifecycle: each step one transaction under the person's lock.</summary>
public sealed partial class LifecycleStore(IDbContextFactory<MjpkiDbContext> contexts) : ILifecycleStore
{
    public async Task<IReadOnlyList<CertificateRecord>> SuspendPhoneCertificatesAsync(Guid personId, string? phoneId, DateTimeOffset at, Func<string, NotificationRecord> notice, AuditEvent? audit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [personId], ct);
        var live = await db.Certificates
            .Where(c => c.PersonId == personId
                && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth)
                && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active)
                && (phoneId == null || c.PhoneId == phoneId))
            .ToListAsync(ct);
        if (live.Count == 0)
        {
            return [];
        }

        foreach (var row in live)
        {
            CertificateStatusChanges.Apply(row, CertificateStatus.Suspended, at, RevocationReasons.Hold);
        }

        var outbox = new List<(NotificationRecord Notice, string? Email)>();
        foreach (var phone in live.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var n = notice(phone);
            db.Notifications.Add(StorageMapping.ToEntity(n));
            outbox.Add((n, null));
        }

        await OutboxWriter.AddAsync(db, outbox, ct);
        await CertificateStatusChanges.MarkOcspStaleAsync(db, live.Select(c => c.Serial).ToArray(), ct);
        await AuditLog.AppendIfAnyAsync(db, audit, at, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return live.ConvertAll(StorageMapping.ToRecord);
    }

    public async Task<IReadOnlyList<CertificateRecord>> GetPhoneCertificatesOfPersonAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking()
            .Where(c => c.PersonId == personId && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth))
            .ToListAsync(ct);
        return rows.OrderByDescending(c => c.CreatedAt).Select(StorageMapping.ToRecord).ToArray();
    }
}
