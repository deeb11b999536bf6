using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Ra.Office;

namespace MobileJpki.Storage;

/// <summary>The SA side of the municipal office's card events: each event one transaction under the person's lock.</summary>
public sealed class OfficeStore(IDbContextFactory<MjpkiDbContext> contexts) : IOfficeStore
{
    public async Task<OfficePerson?> GetPersonAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var person = await db.Persons.AsNoTracking().FirstOrDefaultAsync(p => p.Id == personId, ct);
        if (person is null)
        {
            return null;
        }

        var cards = await db.Certificates.AsNoTracking()
            .Where(c => c.PersonId == personId && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.CardAuth))
            .ToListAsync(ct);
        return new OfficePerson(new PersonRecord(person.Id, person.BirthDate, person.CreatedAt), cards.ConvertAll(StorageMapping.ToRecord));
    }

    public async Task<CertificateRecord?> GetCertificateAsync(string serial, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.Certificates.AsNoTracking().FirstOrDefaultAsync(c => c.Serial == serial, ct);
        return row is null ? null : StorageMapping.ToRecord(row);
    }

    public async Task<CardEventOutcome> ApplyCardEventAsync(CardEvent cardEvent, CancellationToken ct)
    {
        var personId = cardEvent.PersonId;
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await PersonLocks.LockAsync(db, [personId], ct);

        // Read after the lock: the statuses checked here are the ones this transaction changes.
        var serials = cardEvent.Cards.Select(c => c.Serial).Concat(cardEvent.Activate).ToArray();
        var rows = await db.Certificates
            .Where(c => c.PersonId == personId && serials.Contains(c.Serial)
                && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.CardAuth))
            .ToDictionaryAsync(c => c.Serial, StringComparer.Ordinal, ct);
        var fresh = cardEvent.Activate.Select(s => rows.GetValueOrDefault(s)).ToArray();
        var valid = cardEvent.Cards.All(c => rows.TryGetValue(c.Serial, out var row) && c.From.Contains((CertificateStatus)row.Status))
            && fresh.All(r => r is { Status: (int)CertificateStatus.Issued });
        var changed = new List<CertificateEntity>();
        if (!valid)
        {
            // Another act changed the card first: the certificates signed for this one were never handed out.
            foreach (var row in fresh.OfType<CertificateEntity>().Where(r => r.Status == (int)CertificateStatus.Issued))
            {
                CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, cardEvent.At, RevocationReasons.Abandoned);
                changed.Add(row);
            }

            await CertificateStatusChanges.MarkOcspStaleAsync(db, changed.ConvertAll(r => r.Serial), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return new CardEventOutcome(false, [], []);
        }

        foreach (var change in cardEvent.Cards)
        {
            var row = rows[change.Serial];
            CertificateStatusChanges.Apply(row, change.To, cardEvent.At, change.Reason);
            changed.Add(row);
        }

        foreach (var row in fresh.OfType<CertificateEntity>())
        {
            row.Status = (int)CertificateStatus.Active;
            row.StatusChangedAt = cardEvent.At;
        }

        var phones = new List<CertificateEntity>();
        if (cardEvent.Phones is { } cascade)
        {
            var kinds = cascade.Kinds.Select(k => (int)k).ToArray();
            phones = await db.Certificates
                .Where(c => c.PersonId == personId && kinds.Contains(c.Kind)
                    && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active || c.Status == (int)CertificateStatus.Suspended))
                .ToListAsync(ct);
            foreach (var row in phones)
            {
                CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, cardEvent.At, cascade.Reason);
            }

            var outbox = new List<(NotificationRecord Notice, string? Email)>();
            foreach (var phone in phones.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                var notice = cascade.Notice(phone, cardEvent.At);
                db.Notifications.Add(StorageMapping.ToEntity(notice));
                outbox.Add((notice, null));
            }

            await OutboxWriter.AddAsync(db, outbox, ct);
        }

        await CertificateStatusChanges.MarkOcspStaleAsync(db, changed.Concat(phones).Select(r => r.Serial).ToArray(), ct);
        await AuditLog.AppendIfAnyAsync(db, cardEvent.Audit, cardEvent.At, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new CardEventOutcome(true, changed.ConvertAll(StorageMapping.ToRecord), phones.ConvertAll(StorageMapping.ToRecord));
    }
}
