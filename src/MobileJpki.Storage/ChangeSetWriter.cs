using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// Applies an RA rule's <see cref="ChangeSet"/> inside the caller's transaction: it decides nothing, it only writes what
/// the rule returned (status changes through <see cref="CertificateStatusChanges"/>, application outcomes, wipe
/// requests, notices with their e-mail and Web Push copies). The caller saves and commits, so all of it lands or none.
/// </summary>
internal static class ChangeSetWriter
{
    /// <param name="tracked">Certificate rows the caller already loaded (tracked), so they are not read twice.</param>
    /// <returns>The changed certificate rows, as they are after the change.</returns>
    public static async Task<IReadOnlyList<CertificateEntity>> ApplyAsync(MjpkiDbContext db, ChangeSet changes, IEnumerable<CertificateEntity> tracked, CancellationToken ct)
    {
        var rows = tracked.ToDictionary(c => c.Serial, StringComparer.Ordinal);
        var missing = changes.Certificates.Select(c => c.Serial).Where(s => !rows.ContainsKey(s)).Distinct(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            foreach (var row in await db.Certificates.Where(c => missing.Contains(c.Serial)).ToListAsync(ct))
            {
                rows[row.Serial] = row;
            }
        }

        var changed = new List<CertificateEntity>(changes.Certificates.Count);
        foreach (var change in changes.Certificates)
        {
            var row = rows.GetValueOrDefault(change.Serial) ?? throw new InvalidOperationException($"The change set names certificate {change.Serial}, which is not stored.");
            CertificateStatusChanges.Apply(row, change.To, change.At, change.Reason);
            changed.Add(row);
        }

        if (changes.Applications.Count > 0)
        {
            var ids = changes.Applications.Select(a => a.ApplicationId).ToArray();
            var applications = await db.Applications.Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
            foreach (var change in changes.Applications)
            {
                if (applications.TryGetValue(change.ApplicationId, out var application))
                {
                    application.Status = (int)change.To;
                    application.CompletedAt = change.At;
                    application.Reason = change.Reason;
                }
            }
        }

        if (changes.PhonesToWipe.Count > 0)
        {
            // Until the app confirms it deleted the SE data, the phone is told to (docs/lifecycle.md).
            var wipe = changes.PhonesToWipe.ToArray();
            foreach (var phone in await db.Phones.Where(p => wipe.Contains(p.PhoneId)).ToListAsync(ct))
            {
                phone.WipeRequested = true;
            }
        }

        foreach (var notice in changes.Notices)
        {
            db.Notifications.Add(StorageMapping.ToEntity(notice.Notice));
        }

        // E-mail and Web Push copies of the notices, in the same transaction (docs/operations.md, "Notifications").
        await OutboxWriter.AddAsync(db, changes.Notices.Select(n => (n.Notice, n.Email)).ToArray(), ct);
        await CertificateStatusChanges.MarkOcspStaleAsync(db, changed.ConvertAll(c => c.Serial), ct);
        return changed;
    }
}
