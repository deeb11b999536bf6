using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// The SA: the only code that reads or writes the database. Implements the RA's store and the CA's
/// certificate ledger; each method is one short transaction.
/// </summary>
public sealed class StorageAuthority(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time) : IRaStore, ICertificateLedger
{
    public async Task CreatePersonAsync(PersonRecord person, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.Persons.Add(new PersonEntity { Id = person.Id, BirthDate = person.BirthDate, CreatedAt = person.CreatedAt });
        await db.SaveChangesAsync(ct);
    }

    public async Task<PersonRecord?> GetPersonAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var p = await db.Persons.AsNoTracking().FirstOrDefaultAsync(x => x.Id == personId, ct);
        return p is null ? null : new PersonRecord(p.Id, p.BirthDate, p.CreatedAt);
    }

    public async Task ActivateCardCertificatesAsync(Guid personId, IReadOnlyCollection<string> serials, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Certificates
            .Where(c => c.PersonId == personId && serials.Contains(c.Serial) && c.Status == (int)CertificateStatus.Issued)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Active), ct);
    }

    public async Task<IReadOnlyList<CertificateRecord>> GetActiveCardCertificatesAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking()
            .Where(c => c.PersonId == personId && c.Status == (int)CertificateStatus.Active
                && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.CardAuth))
            .ToListAsync(ct);
        return rows.Select(ToRecord).ToArray();
    }

    public async Task<CertificateRecord?> GetCertificateAsync(string serial, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var c = await db.Certificates.AsNoTracking().FirstOrDefaultAsync(x => x.Serial == serial, ct);
        return c is null ? null : ToRecord(c);
    }

    public async Task<bool> TryAddApplicationAsync(ApplicationRecord application, PhoneRecord phone, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await db.Applications.AnyAsync(a => a.Nonce == application.Nonce, ct))
        {
            return false;
        }

        var existing = await db.Phones.FirstOrDefaultAsync(p => p.PhoneId == phone.PhoneId, ct);
        if (existing is null)
        {
            db.Phones.Add(new PhoneEntity
            {
                PhoneId = phone.PhoneId,
                Model = phone.Model,
                Os = phone.Os,
                DeviceSecretHash = phone.DeviceSecretHash,
                PersonId = phone.PersonId,
                CreatedAt = phone.CreatedAt,
            });
        }
        else
        {
            existing.Model = phone.Model;
            existing.Os = phone.Os;
            existing.DeviceSecretHash = phone.DeviceSecretHash;
            existing.PersonId = phone.PersonId;
        }

        db.Applications.Add(new ApplicationEntity
        {
            Id = application.Id,
            PersonId = application.PersonId,
            PhoneId = application.PhoneId,
            CardSigningSerial = application.CardSigningSerial,
            Nonce = application.Nonce,
            KeysJson = JsonSerializer.Serialize(application.Keys.Select(k => new StoredKey((int)k.Kind, k.SubjectPublicKeyInfo))),
            Status = (int)ApplicationStatus.Queued,
            AcceptedAt = application.AcceptedAt,
            ProcessAfter = application.ProcessAfter,
            Email = application.Email,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent submission of the same nonce won the unique index.
            return false;
        }

        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<ApplicationRecord>> ClaimDueApplicationsAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var due = await db.Applications
            .Where(a => a.Status == (int)ApplicationStatus.Queued && a.ProcessAfter <= now)
            .OrderBy(a => a.ProcessAfter)
            .Take(max)
            .ToListAsync(ct);
        foreach (var a in due)
        {
            a.Status = (int)ApplicationStatus.Processing;
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return due.Select(ToRecord).ToArray();
    }

    public async Task<IReadOnlyCollection<string>> CompleteApplicationsAsync(IReadOnlyList<IssuanceOutcome> outcomes, CancellationToken ct)
    {
        var notified = new HashSet<string>(StringComparer.Ordinal);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        for (var index = 0; index < outcomes.Count; index++)
        {
            var outcome = outcomes[index];

            // Certificates of later outcomes in this batch (already recorded as Issued) supersede this one's, never the reverse.
            var newSerials = outcomes.Skip(index).SelectMany(o => o.Certificates).Select(c => c.Serial).ToArray();
            var newKinds = outcome.Certificates.Select(c => (int)c.Kind).ToArray();

            // One phone at a time: every phone certificate of this person on another phone is revoked,
            // and on this phone the older certificate of a kind just re-issued is replaced.
            var superseded = await db.Certificates
                .Where(c => c.PersonId == outcome.PersonId
                    && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth)
                    && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active)
                    && !newSerials.Contains(c.Serial)
                    && (c.PhoneId != outcome.PhoneId || newKinds.Contains(c.Kind)))
                .ToListAsync(ct);
            foreach (var old in superseded)
            {
                old.Status = (int)CertificateStatus.Revoked;
                old.RevokedAt = outcome.CompletedAt;
                old.RevocationReason = old.PhoneId == outcome.PhoneId ? "superseded" : "device-changed";
            }

            var oldPhones = superseded.Where(c => c.PhoneId is not null && c.PhoneId != outcome.PhoneId).Select(c => c.PhoneId!).Distinct().ToArray();
            if (oldPhones.Length > 0)
            {
                var phones = await db.Phones.Where(p => oldPhones.Contains(p.PhoneId)).ToListAsync(ct);
                foreach (var phone in phones)
                {
                    phone.WipeRequested = true;
                    db.Notifications.Add(ToEntity(Notices.Wipe(phone.PhoneId, outcome.CompletedAt)));
                    notified.Add(phone.PhoneId);
                }
            }

            await db.Applications.Where(a => a.Id == outcome.ApplicationId)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Issued).SetProperty(a => a.CompletedAt, outcome.CompletedAt), ct);
            db.Notifications.Add(ToEntity(outcome.Notification));
            notified.Add(outcome.PhoneId);
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return notified;
    }

    public async Task RejectApplicationAsync(Guid applicationId, string reason, DateTimeOffset at, NotificationRecord notification, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Applications.Where(a => a.Id == applicationId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Rejected).SetProperty(a => a.CompletedAt, at).SetProperty(a => a.Reason, reason), ct);
        db.Notifications.Add(ToEntity(notification));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task ReleaseAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Applications.Where(a => applicationIds.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Queued), ct);
    }

    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Applications.Where(a => a.Status == (int)ApplicationStatus.Processing)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Queued), ct);
    }

    public async Task<PhoneRecord?> GetPhoneAsync(string phoneId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var p = await db.Phones.AsNoTracking().FirstOrDefaultAsync(x => x.PhoneId == phoneId, ct);
        return p is null ? null : new PhoneRecord(p.PhoneId, p.Model, p.Os, p.DeviceSecretHash, p.PersonId, p.WipeRequested, p.CreatedAt);
    }

    public async Task<IReadOnlyList<ApplicationRecord>> GetApplicationsOfPhoneAsync(string phoneId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Applications.AsNoTracking().Where(a => a.PhoneId == phoneId).OrderBy(a => a.AcceptedAt).ToListAsync(ct);
        return rows.Select(ToRecord).ToArray();
    }

    public async Task<IReadOnlyList<CertificateRecord>> GetCertificatesOfPhoneAsync(string phoneId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking().Where(c => c.PhoneId == phoneId).OrderBy(c => c.CreatedAt).ToListAsync(ct);
        return rows.Select(ToRecord).ToArray();
    }

    public async Task<int> ActivateAsync(string phoneId, IReadOnlyCollection<string> serials, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Certificates
            .Where(c => c.PhoneId == phoneId && serials.Contains(c.Serial) && c.Status == (int)CertificateStatus.Issued)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Active), ct);
    }

    public async Task<IReadOnlyList<NotificationRecord>> GetNotificationsAsync(string phoneId, long afterId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Notifications.AsNoTracking().Where(n => n.PhoneId == phoneId && n.Id > afterId).OrderBy(n => n.Id).Take(100).ToListAsync(ct);
        return rows.Select(n => new NotificationRecord(n.Id, n.PhoneId, n.Type, n.ApplicationId, n.CreatedAt, n.Title, n.Body)).ToArray();
    }

    public async Task AcknowledgeWipeAsync(string phoneId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Phones.Where(p => p.PhoneId == phoneId).ExecuteUpdateAsync(s => s.SetProperty(p => p.WipeRequested, false), ct);
    }

    public async Task<int> CountQueuedAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Applications.CountAsync(a => a.Status == (int)ApplicationStatus.Queued || a.Status == (int)ApplicationStatus.Processing, ct);
    }

    /// <summary>CA ledger, issuance step 2: serials and to-be-signed data are durable before any signature.</summary>
    public async Task RecordIntentsAsync(IReadOnlyList<CertificateIntent> intents, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        foreach (var i in intents)
        {
            db.Certificates.Add(new CertificateEntity
            {
                Serial = i.Serial,
                Kind = (int)i.Kind,
                PersonId = i.PersonId,
                PhoneId = i.PhoneId,
                ApplicationId = i.ApplicationId,
                Status = (int)CertificateStatus.Pending,
                NotBefore = i.NotBefore,
                NotAfter = i.NotAfter,
                Tbs = i.Tbs,
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>CA ledger, issuance step 4: the signed certificates.</summary>
    public async Task RecordSignedAsync(IReadOnlyList<IssuedCertificate> signed, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var serials = signed.Select(s => s.Serial).ToArray();
        var rows = await db.Certificates.Where(c => serials.Contains(c.Serial)).ToDictionaryAsync(c => c.Serial, ct);
        var now = time.GetUtcNow();
        foreach (var s in signed)
        {
            var row = rows[s.Serial];
            row.Der = s.Der;
            row.Status = (int)CertificateStatus.Issued;
            row.IssuedAt = now;
        }

        await db.SaveChangesAsync(ct);
    }

    private static CertificateRecord ToRecord(CertificateEntity c) => new(
        c.Serial, (CertificateKind)c.Kind, c.PersonId, c.PhoneId, c.ApplicationId, (CertificateStatus)c.Status,
        c.NotBefore, c.NotAfter, c.Der, c.RevokedAt, c.RevocationReason);

    private static ApplicationRecord ToRecord(ApplicationEntity a) => new(
        a.Id, a.PersonId, a.PhoneId, a.CardSigningSerial, a.Nonce,
        JsonSerializer.Deserialize<StoredKey[]>(a.KeysJson)!.Select(k => new ApplicationKeyRecord((CertificateKind)k.Kind, k.Spki)).ToArray(),
        (ApplicationStatus)a.Status, a.AcceptedAt, a.ProcessAfter, a.CompletedAt, a.Reason, a.Email);

    private static NotificationEntity ToEntity(NotificationRecord n) => new()
    {
        PhoneId = n.PhoneId,
        Type = n.Type,
        ApplicationId = n.ApplicationId,
        CreatedAt = n.CreatedAt,
        Title = n.Title,
        Body = n.Body,
    };

    private sealed record StoredKey(int Kind, byte[] Spki);
}
