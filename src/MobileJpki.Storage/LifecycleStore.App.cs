using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The lifecycle steps the person starts in the app: resume, revoke, device change, password-reset challenges.</summary>
public sealed partial class LifecycleStore
{
    /// <summary>Challenges this long past their expiry are deleted when a new one is made (they can only be refused anyway).</summary>
    private static readonly TimeSpan ChallengeRetention = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<CertificateRecord>> ResumePhoneAsync(Guid personId, string phoneId, Action<IReadOnlyList<CertificateRecord>> check, ApplicationRecord? application, DateTimeOffset at, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [personId], ct);
        var rows = await PhoneCertificatesOf(db, personId).ToListAsync(ct);

        // The policy decides on what is true under the lock; a refusal throws and the transaction rolls back untouched.
        check(rows.ConvertAll(StorageMapping.ToRecord));
        var held = rows.Where(c => c.PhoneId == phoneId && c.Status == (int)CertificateStatus.Suspended).ToList();
        foreach (var row in held)
        {
            if (row.Kind == (int)CertificateKind.PhoneSigning)
            {
                CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, at, RevocationReasons.Resumed);
            }
            else
            {
                CertificateStatusChanges.Apply(row, CertificateStatus.Active, at, null);
            }
        }

        if (application is not null)
        {
            if (await db.Applications.AnyAsync(a => a.Nonce == application.Nonce, ct))
            {
                throw MjpkiException.Conflict("replayed-application", "This application was already submitted.");
            }

            db.Applications.Add(StorageMapping.ToEntity(application, ApplicationPurpose.Resume));
        }

        await CertificateStatusChanges.MarkOcspStaleAsync(db, held.ConvertAll(c => c.Serial), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return held.ConvertAll(StorageMapping.ToRecord);
    }

    public async Task<IReadOnlyList<CertificateRecord>> RevokePhoneAsync(Guid personId, string phoneId, string reason, string rejection, DateTimeOffset at, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [personId], ct);
        var live = await PhoneCertificatesOf(db, personId)
            .Where(c => c.PhoneId == phoneId && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active || c.Status == (int)CertificateStatus.Suspended))
            .ToListAsync(ct);
        if (live.Count == 0)
        {
            return [];
        }

        foreach (var row in live)
        {
            CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, at, reason);
        }

        // An application still waiting (e.g. the signing certificate of a resume) must not bring certificates back.
        foreach (var queued in await db.Applications.Where(a => a.PhoneId == phoneId && a.PersonId == personId && a.Status == (int)ApplicationStatus.Queued).ToListAsync(ct))
        {
            queued.Status = (int)ApplicationStatus.Rejected;
            queued.CompletedAt = at;
            queued.Reason = rejection;
        }

        // Until the app confirms it deleted the SE data, the phone is told to (the existing wipe mechanism).
        var phone = await db.Phones.FirstOrDefaultAsync(p => p.PhoneId == phoneId, ct);
        if (phone is not null)
        {
            phone.WipeRequested = true;
        }

        await CertificateStatusChanges.MarkOcspStaleAsync(db, live.ConvertAll(c => c.Serial), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return live.ConvertAll(StorageMapping.ToRecord);
    }

    public async Task<bool> AddApplicationAsync(ApplicationRecord application, PhoneRecord phone, ApplicationPurpose purpose, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [application.PersonId], ct);
        if (await db.Applications.AnyAsync(a => a.Nonce == application.Nonce, ct))
        {
            return false;
        }

        var phones = await PhoneBindings.LockAsync(db, [phone.PhoneId], ct);
        var holders = await PhoneBindings.HoldersAsync(db, [phone.PhoneId], ct);
        if (PhoneBindings.Bind(db, phones, holders, phone) is { } refusal)
        {
            throw refusal;
        }

        db.Applications.Add(StorageMapping.ToEntity(application, purpose));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException unique) when (MjpkiDatabase.IsUniqueViolation(unique))
        {
            // Another node stored the same nonce between our read and our write.
            return false;
        }

        await tx.CommitAsync(ct);
        return true;
    }

    public async Task CreateChallengeAsync(ChallengeRecord challenge, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var forgotten = challenge.CreatedAt - ChallengeRetention;
        await db.Challenges.Where(c => c.ExpiresAt < forgotten).ExecuteDeleteAsync(ct);
        db.Challenges.Add(new ChallengeEntity
        {
            Id = challenge.Id,
            Purpose = challenge.Purpose,
            Subject = challenge.Subject,
            CreatedAt = challenge.CreatedAt,
            ExpiresAt = challenge.ExpiresAt,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<ChallengeRecord?> GetChallengeAsync(string id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var c = await db.Challenges.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return c is null ? null : new ChallengeRecord(c.Id, c.Purpose, c.Subject, c.CreatedAt, c.ExpiresAt, c.UsedAt);
    }

    public async Task<bool> UseChallengeAsync(string id, string purpose, string subject, DateTimeOffset at, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);

        // One conditional UPDATE: of two concurrent answers to one challenge, exactly one wins.
        var used = await db.Challenges
            .Where(c => c.Id == id && c.Purpose == purpose && c.Subject == subject && c.UsedAt == null && c.ExpiresAt > at)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, at), ct);
        return used == 1;
    }

    private static IQueryable<CertificateEntity> PhoneCertificatesOf(MjpkiDbContext db, Guid personId) =>
        db.Certificates.Where(c => c.PersonId == personId && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth));
}
