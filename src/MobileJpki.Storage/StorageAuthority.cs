using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>
/// The SA: the only code that reads or writes the database. Implements the RA's store and the CA's
/// certificate ledger; each method is one short transaction. Several nodes may share one PostgreSQL database
/// (docs/operations.md, "Scaling out"): claims skip rows other nodes hold, and completions of one person take turns.
/// </summary>
public sealed class StorageAuthority(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time, StorageNode? node = null) : IRaStore, ICertificateLedger
{
    private readonly StorageNode _node = node ?? StorageNode.CreateDefault();

    private const string CardChangedReason =
        "申請に使ったマイナンバーカードの署名用電子証明書が発行処理中に失効または一時停止されました / The card's signing certificate used for the application was revoked or put on hold while it was being issued.";

    private const int MaxGroupCommit = 256;
    private readonly ConcurrentQueue<PendingApplication> _pendingApplications = new();
    private int _applicationWriterActive;

    public async Task CreatePersonAsync(PersonRecord person, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.Persons.Add(new PersonEntity { Id = person.Id, BirthDate = person.BirthDate, CreatedAt = person.CreatedAt });
        await db.SaveChangesAsync(ct);
    }

    public async Task ActivateCardCertificatesAsync(Guid personId, IReadOnlyCollection<string> serials, Core.Audit.AuditEvent? audit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Certificates
            .Where(c => c.PersonId == personId && serials.Contains(c.Serial) && c.Status == (int)CertificateStatus.Issued)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Active), ct);
        await AuditLog.AppendIfAnyAsync(db, audit, time.GetUtcNow(), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<CertificateRecord>> GetActiveCardCertificatesAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking()
            .Where(c => c.PersonId == personId && c.Status == (int)CertificateStatus.Active
                && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.CardAuth))
            .ToListAsync(ct);
        return rows.Select(StorageMapping.ToRecord).ToArray();
    }

    public async Task<IReadOnlyDictionary<Guid, PersonCards>> GetPersonsWithCardsAsync(IReadOnlyCollection<Guid> personIds, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var persons = await db.Persons.AsNoTracking().Where(p => personIds.Contains(p.Id)).ToListAsync(ct);
        var cards = await db.Certificates.AsNoTracking()
            .Where(c => personIds.Contains(c.PersonId) && c.Status == (int)CertificateStatus.Active
                && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.CardAuth))
            .ToListAsync(ct);
        var byPerson = cards.ToLookup(c => c.PersonId);
        return persons.ToDictionary(
            p => p.Id,
            p => new PersonCards(new PersonRecord(p.Id, p.BirthDate, p.CreatedAt), byPerson[p.Id].Select(StorageMapping.ToRecord).ToArray()));
    }

    public async Task<CertificateRecord?> GetCertificateAsync(string serial, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var c = await db.Certificates.AsNoTracking().FirstOrDefaultAsync(x => x.Serial == serial, ct);
        return c is null ? null : StorageMapping.ToRecord(c);
    }

    /// <summary>
    /// Stores an application and upserts its phone. Concurrent callers are committed together in one
    /// transaction (group commit): each still gets its own answer, and every commit stays durable,
    /// but the cost of a disk flush is shared instead of paid per application.
    /// </summary>
    public Task<bool> TryAddApplicationAsync(ApplicationRecord application, PhoneRecord phone, CancellationToken ct)
    {
        var pending = new PendingApplication(application, phone);
        _pendingApplications.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _applicationWriterActive, 1, 0) == 0)
        {
            _ = Task.Run(DrainApplicationsAsync, CancellationToken.None);
        }

        // The write itself is not cancelled with the caller: once queued it completes for everyone in the group.
        return pending.Result.Task.WaitAsync(ct);
    }

    private async Task DrainApplicationsAsync()
    {
        while (true)
        {
            var batch = new List<PendingApplication>();
            while (batch.Count < MaxGroupCommit && _pendingApplications.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _applicationWriterActive, 0);

                // A caller may have enqueued after the last dequeue but before the flag was cleared.
                if (_pendingApplications.IsEmpty || Interlocked.CompareExchange(ref _applicationWriterActive, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                var results = await WriteApplicationsAsync(batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.TrySetResult(results[i]);
                }
            }
            catch (DbUpdateException unique) when (MjpkiDatabase.IsUniqueViolation(unique))
            {
                // Another writer (another node) raced us on a unique key: fall back to one transaction each,
                // so only the real duplicate is refused. Any other failure (the database is down) fails the whole group.
                foreach (var one in batch)
                {
                    try
                    {
                        one.Result.TrySetResult((await WriteApplicationsAsync([one]))[0]);
                    }
                    catch (DbUpdateException duplicate) when (MjpkiDatabase.IsUniqueViolation(duplicate))
                    {
                        one.Result.TrySetResult(false);
                    }
                    catch (Exception ex)
                    {
                        one.Result.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                foreach (var one in batch)
                {
                    one.Result.TrySetException(ex);
                }
            }
        }
    }

    private async Task<bool[]> WriteApplicationsAsync(IReadOnlyList<PendingApplication> batch)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        var nonces = batch.Select(b => b.Application.Nonce).ToArray();
        var seen = (await db.Applications.Where(a => nonces.Contains(a.Nonce)).Select(a => a.Nonce).ToListAsync()).ToHashSet(StringComparer.Ordinal);
        var phoneIds = batch.Select(b => b.Phone.PhoneId).Distinct().ToArray();
        var phones = await db.Phones.Where(p => phoneIds.Contains(p.PhoneId)).ToDictionaryAsync(p => p.PhoneId, StringComparer.Ordinal);
        var results = new bool[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var (application, phone) = (batch[i].Application, batch[i].Phone);
            if (!seen.Add(application.Nonce))
            {
                continue;
            }

            if (!phones.TryGetValue(phone.PhoneId, out var existing))
            {
                existing = new PhoneEntity
                {
                    PhoneId = phone.PhoneId,
                    Model = phone.Model,
                    Os = phone.Os,
                    DeviceSecretHash = phone.DeviceSecretHash,
                    PersonId = phone.PersonId,
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
                existing.PersonId = phone.PersonId;
            }

            db.Applications.Add(StorageMapping.ToEntity(application, ApplicationPurpose.New));
            results[i] = true;
        }

        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return results;
    }

    public async Task<IReadOnlyList<ApplicationRecord>> ClaimDueApplicationsAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var due = db.Database.IsNpgsql()

            // Several nodes share the queue: rows another node is claiming right now are skipped, never claimed twice.
            ? await db.Applications.FromSql($"""
                SELECT * FROM "Applications"
                WHERE "Status" = {(int)ApplicationStatus.Queued} AND "ProcessAfter" <= {now.ToUnixTimeMilliseconds()}
                ORDER BY "ProcessAfter" LIMIT {max}
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct)

            // SQLite: the transaction holds the file's single write lock (BEGIN IMMEDIATE), which serializes claims.
            : await db.Applications
                .Where(a => a.Status == (int)ApplicationStatus.Queued && a.ProcessAfter <= now)
                .OrderBy(a => a.ProcessAfter)
                .Take(max)
                .ToListAsync(ct);
        var claimedAt = _node.WallClock.GetUtcNow();
        foreach (var a in due)
        {
            a.Status = (int)ApplicationStatus.Processing;
            a.ClaimedBy = _node.Id;
            a.ClaimedAt = claimedAt;
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return due.Select(StorageMapping.ToRecord).ToArray();
    }

    public async Task<IReadOnlyCollection<string>> CompleteApplicationsAsync(IReadOnlyList<IssuanceOutcome> outcomes, CancellationToken ct)
    {
        var notified = new HashSet<string>(StringComparer.Ordinal);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var personIds = outcomes.Select(o => o.PersonId).Distinct().ToArray();
        var applicationIds = outcomes.Select(o => o.ApplicationId).ToArray();
        // Nodes completing applications of one person take turns; the reads below run after the lock, so the later
        // node sees and revokes what the earlier one issued.
        await PersonLocks.LockAsync(db, personIds, ct);

        // One read for the whole batch: every live or on-hold phone certificate of these persons (the batch's own new
        // certificates included, since the CA recorded them as Issued; on-hold ones because a device change after the
        // hotline suspended the lost phone must revoke those too) and the applications themselves. Certificates of an
        // application another node is still processing are left alone: that node completes after us and revokes ours.
        var live = await db.Certificates
            .Where(c => personIds.Contains(c.PersonId)
                && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth)
                && (c.Status == (int)CertificateStatus.Issued || c.Status == (int)CertificateStatus.Active || c.Status == (int)CertificateStatus.Suspended)
                && !db.Applications.Any(a => a.Id == c.ApplicationId && a.Status == (int)ApplicationStatus.Processing && !applicationIds.Contains(a.Id)))
            .ToListAsync(ct);
        var livePerPerson = live.ToLookup(c => c.PersonId);
        var applications = await db.Applications.Where(a => applicationIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);

        // The RA planned these applications before taking the lock: a card event (address change, renewal, loss) may
        // have revoked or held the card certificate since. Read under the lock, so such an application is refused here.
        var cardSerials = applications.Values.Select(a => a.CardSigningSerial).Distinct().ToArray();
        var cardStatus = await db.Certificates.AsNoTracking()
            .Where(c => cardSerials.Contains(c.Serial))
            .ToDictionaryAsync(c => c.Serial, c => (CertificateStatus)c.Status, ct);
        var toWipe = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var outbox = new List<(NotificationRecord Notice, string? Email)>();
        var changed = new List<string>();

        for (var index = 0; index < outcomes.Count; index++)
        {
            var outcome = outcomes[index];
            if (applications.TryGetValue(outcome.ApplicationId, out var planned)
                && cardStatus.GetValueOrDefault(planned.CardSigningSerial) != CertificateStatus.Active)
            {
                // Its certificates were signed but never handed out: revoked like an interrupted round's.
                var mine = outcome.Certificates.Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
                foreach (var row in livePerPerson[outcome.PersonId].Where(c => mine.Contains(c.Serial)))
                {
                    CertificateStatusChanges.Apply(row, CertificateStatus.Revoked, outcome.CompletedAt, RevocationReasons.Abandoned);
                    changed.Add(row.Serial);
                }

                planned.Status = (int)ApplicationStatus.Rejected;
                planned.CompletedAt = outcome.CompletedAt;
                planned.Reason = CardChangedReason;
                var refusal = Notices.Rejected(outcome.PhoneId, outcome.ApplicationId, CardChangedReason, outcome.CompletedAt);
                db.Notifications.Add(StorageMapping.ToEntity(refusal));
                outbox.Add((refusal, planned.Email));
                notified.Add(outcome.PhoneId);
                continue;
            }

            // Certificates of later outcomes in this batch supersede this one's, never the reverse.
            var protectedSerials = outcomes.Skip(index).SelectMany(o => o.Certificates).Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
            var newKinds = outcome.Certificates.Select(c => (int)c.Kind).ToHashSet();

            // One phone at a time: every phone certificate of this person on another phone is revoked,
            // and on this phone the older certificate of a kind just re-issued is replaced.
            foreach (var old in livePerPerson[outcome.PersonId])
            {
                if (old.Status == (int)CertificateStatus.Revoked || protectedSerials.Contains(old.Serial)
                    || (old.PhoneId == outcome.PhoneId && !newKinds.Contains(old.Kind)))
                {
                    continue;
                }

                CertificateStatusChanges.Apply(old, CertificateStatus.Revoked, outcome.CompletedAt, old.PhoneId == outcome.PhoneId ? RevocationReasons.Superseded : RevocationReasons.DeviceChanged);
                changed.Add(old.Serial);
                if (old.PhoneId is not null && old.PhoneId != outcome.PhoneId)
                {
                    toWipe[old.PhoneId] = outcome.CompletedAt;
                }
            }

            // A phone that receives certificates keeps its SE, even if an earlier outcome of this batch superseded it.
            toWipe.Remove(outcome.PhoneId);
            if (applications.TryGetValue(outcome.ApplicationId, out var application))
            {
                application.Status = (int)ApplicationStatus.Issued;
                application.CompletedAt = outcome.CompletedAt;
            }

            db.Notifications.Add(StorageMapping.ToEntity(outcome.Notification));
            outbox.Add((outcome.Notification, application?.Email));
            notified.Add(outcome.PhoneId);
        }

        if (toWipe.Count > 0)
        {
            var wipeIds = toWipe.Keys.ToArray();
            foreach (var phone in await db.Phones.Where(p => wipeIds.Contains(p.PhoneId)).ToListAsync(ct))
            {
                phone.WipeRequested = true;
                var wipe = Notices.Wipe(phone.PhoneId, toWipe[phone.PhoneId]);
                db.Notifications.Add(StorageMapping.ToEntity(wipe));
                outbox.Add((wipe, null));
                notified.Add(phone.PhoneId);
            }
        }

        // E-mail and Web Push copies of the notices, in the same transaction (docs/operations.md, "Notifications").
        await OutboxWriter.AddAsync(db, outbox, ct);
        await CertificateStatusChanges.MarkOcspStaleAsync(db, changed, ct);
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
        db.Notifications.Add(StorageMapping.ToEntity(notification));
        var email = await db.Applications.Where(a => a.Id == applicationId).Select(a => a.Email).FirstOrDefaultAsync(ct);
        await OutboxWriter.AddAsync(db, [(notification, email)], ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task ReleaseAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await RevokeUnfinishedAsync(db, applicationIds, ct);
        await db.Applications.Where(a => applicationIds.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Queued).SetProperty(a => a.ClaimedBy, (string?)null).SetProperty(a => a.ClaimedAt, (DateTimeOffset?)null), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Issuance cycle, recovery: certificates an interrupted round already signed and recorded were never handed to
    /// anyone, but they exist, so they are revoked (reason "abandoned") before the application is issued afresh
    /// with new serials. Intents that never got a signature stay Pending as a record of the reserved serial.
    /// </summary>
    private async Task RevokeUnfinishedAsync(MjpkiDbContext db, IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await db.Certificates
            .Where(c => c.ApplicationId.HasValue && applicationIds.Contains(c.ApplicationId.Value) && c.Status == (int)CertificateStatus.Issued)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Revoked).SetProperty(c => c.RevokedAt, now).SetProperty(c => c.StatusChangedAt, now).SetProperty(c => c.RevocationReason, RevocationReasons.Abandoned), ct);
    }

    /// <summary>
    /// At start: SQLite has one node, so everything in Processing was ours. PostgreSQL is shared, so only this node's
    /// own claims and claims older than the lease (their node died) go back; live nodes keep their work.
    /// </summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var processing = db.Applications.Where(a => a.Status == (int)ApplicationStatus.Processing);
        if (db.Database.IsNpgsql())
        {
            var abandoned = _node.WallClock.GetUtcNow() - _node.ClaimLease;
            processing = processing.Where(a => a.ClaimedBy == null || a.ClaimedBy == _node.Id || a.ClaimedAt == null || a.ClaimedAt < abandoned);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ids = await processing.Select(a => a.Id).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return 0;
        }

        await RevokeUnfinishedAsync(db, ids, ct);
        var requeued = await db.Applications.Where(a => ids.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApplicationStatus.Queued).SetProperty(a => a.ClaimedBy, (string?)null).SetProperty(a => a.ClaimedAt, (DateTimeOffset?)null), ct);
        await tx.CommitAsync(ct);
        return requeued;
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
        return rows.Select(StorageMapping.ToRecord).ToArray();
    }

    public async Task<IReadOnlyList<CertificateRecord>> GetCertificatesOfPhoneAsync(string phoneId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking().Where(c => c.PhoneId == phoneId).OrderBy(c => c.CreatedAt).ToListAsync(ct);
        return rows.Select(StorageMapping.ToRecord).ToArray();
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
                CrlShard = i.CrlShard,
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
            row.StatusChangedAt = now;
        }

        await db.SaveChangesAsync(ct);
    }

    private sealed record PendingApplication(ApplicationRecord Application, PhoneRecord Phone)
    {
        public TaskCompletionSource<bool> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
