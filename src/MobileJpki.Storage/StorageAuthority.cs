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
public sealed partial class StorageAuthority(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time, StorageNode? node = null) : IRaStore, ICertificateLedger
{
    private readonly StorageNode _node = node ?? StorageNode.CreateDefault();

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
                    batch[i].Complete(results[i]);
                }
            }
            catch (DbUpdateException unique) when (MjpkiDatabase.IsUniqueViolation(unique))
            {
                // Another writer (another node) raced us on a unique key (a nonce, or a phone both inserted): fall back to
                // one transaction each, so only the real duplicate is refused and the phone's second applicant sees the
                // first. Any other failure (the database is down) fails the whole group.
                foreach (var one in batch)
                {
                    try
                    {
                        one.Complete((await WriteApplicationsAsync([one]))[0]);
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

    /// <summary>One transaction for the group: per application, true (stored), false (nonce seen) or the RA's refusal.</summary>
    private async Task<Written[]> WriteApplicationsAsync(IReadOnlyList<PendingApplication> batch)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        var phoneIds = batch.Select(b => b.Phone.PhoneId).Distinct(StringComparer.Ordinal).ToArray();

        // The phone rows first, locked: who refers to a phone is read after any other writer of it has committed.
        var phones = await PhoneBindings.LockAsync(db, phoneIds, CancellationToken.None);
        var holders = await PhoneBindings.HoldersAsync(db, phoneIds, CancellationToken.None);
        var nonces = batch.Select(b => b.Application.Nonce).ToArray();
        var seen = (await db.Applications.Where(a => nonces.Contains(a.Nonce)).Select(a => a.Nonce).ToListAsync()).ToHashSet(StringComparer.Ordinal);
        var results = new Written[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var (application, phone) = (batch[i].Application, batch[i].Phone);
            if (seen.Contains(application.Nonce))
            {
                results[i] = new Written(false, null);
                continue;
            }

            if (PhoneBindings.Bind(db, phones, holders, phone) is { } refusal)
            {
                results[i] = new Written(false, refusal);
                continue;
            }

            seen.Add(application.Nonce);
            db.Applications.Add(StorageMapping.ToEntity(application, ApplicationPurpose.New));
            results[i] = new Written(true, null);
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
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var personIds = outcomes.Select(o => o.PersonId).Distinct().ToArray();
        var applicationIds = outcomes.Select(o => o.ApplicationId).ToArray();

        // Nodes completing applications of one person take turns; the reads below run after the lock, so the later
        // node sees and revokes what the earlier one issued.
        await PersonLocks.LockAsync(db, personIds, ct);

        // One read for the whole batch of what the RA's rule (IssuanceCompletion) decides on; it decides, this applies.
        var supersedable = IssuanceCompletion.Supersedable.Select(s => (int)s).ToArray();
        var live = await db.Certificates
            .Where(c => personIds.Contains(c.PersonId)
                && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth)
                && supersedable.Contains(c.Status))
            .ToListAsync(ct);
        var ofLive = live.Select(c => c.ApplicationId).OfType<Guid>().Distinct().ToArray();
        var processing = (await db.Applications.AsNoTracking()
            .Where(a => ofLive.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing)
            .Select(a => a.Id)
            .ToListAsync(ct)).ToHashSet();
        var applications = await db.Applications.AsNoTracking().Where(a => applicationIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, StorageMapping.ToRecord, ct);

        // The RA planned these applications before taking the lock: a card event may have revoked or held the card
        // certificate since. Read under the lock, so the rule refuses such an application.
        var cardSerials = applications.Values.Select(a => a.CardSigningSerial).Distinct().ToArray();
        var cardStatus = await db.Certificates.AsNoTracking()
            .Where(c => cardSerials.Contains(c.Serial))
            .ToDictionaryAsync(c => c.Serial, c => (CertificateStatus)c.Status, ct);

        var changes = IssuanceCompletion.Decide(outcomes, new CompletionState(live.ConvertAll(StorageMapping.ToRecord), processing, applications, cardStatus));
        await ChangeSetWriter.ApplyAsync(db, changes, live, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return changes.NotifiedPhones;
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

    /// <summary>Gives back this node's claims on these applications (a batch failed); another node's claims are left alone.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var mine = await db.Applications
            .Where(a => applicationIds.Contains(a.Id) && a.Status == (int)ApplicationStatus.Processing && a.ClaimedBy == _node.Id)
            .Select(a => a.Id)
            .ToListAsync(ct);
        await RequeueAsync(db, mine, ct);
        await tx.CommitAsync(ct);
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
        var requeued = await RequeueAsync(db, ids, ct);
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
        // Only certificates of a completed application: until its completion commits, the one-device rule has not
        // revoked the person's other phone, so registering them would leave two live phones.
        return await db.Certificates
            .Where(c => c.PhoneId == phoneId && serials.Contains(c.Serial) && c.Status == (int)CertificateStatus.Issued
                && db.Applications.Any(a => a.Id == c.ApplicationId && a.Status == (int)ApplicationStatus.Issued))
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

        public void Complete(Written written)
        {
            if (written.Refusal is { } refusal)
            {
                Result.TrySetException(refusal);
            }
            else
            {
                Result.TrySetResult(written.Stored);
            }
        }
    }

    /// <summary>What writing one application came to: stored, its nonce already seen (neither), or refused by the RA's rule.</summary>
    private readonly record struct Written(bool Stored, MjpkiException? Refusal);
}
