using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// Reads, inside a write transaction, which phone rows exist and who still refers to each phone (unfinished
/// applications, held certificates; <see cref="PhoneOwnership"/>), so the RA's rule decides on what is true when the
/// application is written.
/// </summary>
internal static class PhoneBindings
{
    /// <summary>
    /// Locks and loads the phone rows (PostgreSQL: <c>FOR UPDATE</c>, in key order, so two nodes writing one phone take
    /// turns and the later one's reads below see the earlier one's commit; SQLite: BEGIN IMMEDIATE already serializes
    /// writers). A phone not yet stored cannot be locked: of two nodes inserting it, the primary key refuses the second.
    /// </summary>
    public static async Task<Dictionary<string, PhoneEntity>> LockAsync(MjpkiDbContext db, IReadOnlyCollection<string> phoneIds, CancellationToken ct)
    {
        var ids = phoneIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var rows = db.Database.IsNpgsql()
            ? await db.Phones.FromSql($"""SELECT * FROM "Phones" WHERE "PhoneId" = ANY({ids}) ORDER BY "PhoneId" FOR UPDATE""").ToListAsync(ct)
            : await db.Phones.Where(p => ids.Contains(p.PhoneId)).ToListAsync(ct);
        return rows.ToDictionary(p => p.PhoneId, StringComparer.Ordinal);
    }

    /// <summary>For each phone, the persons whose unfinished application or held certificate refers to it.</summary>
    public static async Task<Dictionary<string, HashSet<Guid>>> HoldersAsync(MjpkiDbContext db, IReadOnlyCollection<string> phoneIds, CancellationToken ct)
    {
        var ids = phoneIds.Distinct(StringComparer.Ordinal).ToArray();
        var unfinished = PhoneOwnership.UnfinishedApplications.Select(s => (int)s).ToArray();
        var held = PhoneOwnership.HeldCertificates.Select(s => (int)s).ToArray();
        var applicants = await db.Applications.AsNoTracking()
            .Where(a => ids.Contains(a.PhoneId) && unfinished.Contains(a.Status))
            .Select(a => new { a.PhoneId, a.PersonId })
            .Distinct()
            .ToListAsync(ct);
        var holders = await db.Certificates.AsNoTracking()
            .Where(c => c.PhoneId != null && ids.Contains(c.PhoneId) && held.Contains(c.Status))
            .Select(c => new { PhoneId = c.PhoneId!, c.PersonId })
            .Distinct()
            .ToListAsync(ct);
        var result = ids.ToDictionary(id => id, _ => new HashSet<Guid>(), StringComparer.Ordinal);
        foreach (var r in applicants.Concat(holders))
        {
            result[r.PhoneId].Add(r.PersonId);
        }

        return result;
    }

    /// <summary>
    /// Writes <paramref name="phone"/> (owner, model, secret) if <see cref="PhoneOwnership"/> allows its owner to take it:
    /// null when written (tracked, saved by the caller), else the refusal, with nothing changed. The owner then holds the
    /// phone, so another person's application later in the same transaction is refused.
    /// </summary>
    public static MjpkiException? Bind(MjpkiDbContext db, Dictionary<string, PhoneEntity> phones, Dictionary<string, HashSet<Guid>> holders, PhoneRecord phone)
    {
        var applicant = phone.PersonId ?? throw new ArgumentException("An application's phone record names its applicant.", nameof(phone));
        if (!holders.TryGetValue(phone.PhoneId, out var holding))
        {
            holders[phone.PhoneId] = holding = [];
        }

        if (PhoneOwnership.Refusal(applicant, holding) is { } refusal)
        {
            return refusal;
        }

        if (!phones.TryGetValue(phone.PhoneId, out var existing))
        {
            existing = new PhoneEntity
            {
                PhoneId = phone.PhoneId,
                Model = phone.Model,
                Os = phone.Os,
                DeviceSecretHash = phone.DeviceSecretHash,
                PersonId = applicant,
                CreatedAt = phone.CreatedAt,
            };
            db.Phones.Add(existing);
            phones.Add(phone.PhoneId, existing);
        }
        else
        {
            existing.Model = phone.Model;
            existing.Os = phone.Os;
            existing.DeviceSecretHash = phone.DeviceSecretHash;
            existing.PersonId = applicant;
        }

        holding.Add(applicant);
        return null;
    }
}
