using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The lifecycle steps the person starts in the app: resume, revoke, device change, password-reset challenges.</summary>
public sealed partial class LifecycleStore
{
    /// <summary>Challenges this long past their expiry are deleted when a new one is made (they can only be refused anyway).</summary>
    private static readonly TimeSpan ChallengeRetention = TimeSpan.FromDays(1);

    public async Task<IReadOnlyList<CertificateRecord>> ChangePersonAsync(Guid personId, Func<PersonPhones, ChangeSet> decide, ApplicationRecord? application, ApplicationPurpose purpose, AuditEvent? audit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [personId], ct);
        var rows = await PhoneCertificatesOf(db, personId).ToListAsync(ct);
        var unfinished = PhoneOwnership.UnfinishedApplications.Select(s => (int)s).ToArray();
        var applications = await db.Applications.AsNoTracking()
            .Where(a => a.PersonId == personId && unfinished.Contains(a.Status))
            .OrderBy(a => a.AcceptedAt)
            .ToListAsync(ct);

        // The RA decides on what is true under the lock; a refusal throws and the transaction rolls back untouched.
        var changes = decide(new PersonPhones(rows.ConvertAll(StorageMapping.ToRecord), applications.ConvertAll(StorageMapping.ToRecord)));
        if (application is not null)
        {
            if (await db.Applications.AnyAsync(a => a.Nonce == application.Nonce, ct))
            {
                throw MjpkiException.Conflict("replayed-application", "This application was already submitted.");
            }

            db.Applications.Add(StorageMapping.ToEntity(application, purpose));
        }

        var changed = await ChangeSetWriter.ApplyAsync(db, changes, rows, ct);
        if (changed.Count > 0)
        {
            // The act's audit entry commits with the act, and is not written when nothing changed.
            await AuditLog.AppendIfAnyAsync(db, audit, changes.Certificates.Max(c => c.At), ct);
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return changed.Select(StorageMapping.ToRecord).ToArray();
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
