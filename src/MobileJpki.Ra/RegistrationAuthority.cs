using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>
/// Policy of the service (J-LIS's back office): who may get which certificate, when, and what that
/// supersedes. It talks to the CA through <see cref="ICertificateAuthority"/> and to storage through
/// <see cref="IRaStore"/>; it has no HTTP and no database code.
/// </summary>
public sealed partial class RegistrationAuthority(
    IRaStore store,
    ICertificateAuthority ca,
    ApplicationVerifier verifier,
    ProcessingWindow window,
    IPhoneNotifier notifier,
    RaOptions options,
    TimeProvider time,
    ILogger<RegistrationAuthority> logger)
{
    private readonly ConcurrentDictionary<Guid, byte> _inFlight = new();

    public ProcessingWindow Window => window;

    /// <summary>市区町村窓口: issue a My Number Card's signing and auth certificates for a person.</summary>
    public Task<(Guid PersonId, byte[] Signing, byte[] Auth)> IssueCardAsync(Basic4Info person, byte[] signingKey, byte[] authKey, CancellationToken ct) =>
        IssueCardAsync(person, signingKey, authKey, null, ct);

    /// <summary>
    /// <see cref="IssueCardAsync(Basic4Info, byte[], byte[], CancellationToken)"/>; the act of <paramref name="by"/>
    /// ("office.issue-card" on the new person) is audited in the transaction that activates the certificates.
    /// </summary>
    public async Task<(Guid PersonId, byte[] Signing, byte[] Auth)> IssueCardAsync(Basic4Info person, byte[] signingKey, byte[] authKey, AuditCaller? by, CancellationToken ct)
    {
        foreach (var (key, name) in new[] { (signingKey, "signing"), (authKey, "auth") })
        {
            if (!SubjectPublicKeyInfos.TryValidateRsa2048(key, out var error))
            {
                throw MjpkiException.BadRequest("bad-key", $"The card's {name} key is not acceptable: {error}");
            }
        }

        if (signingKey.AsSpan().SequenceEqual(authKey))
        {
            throw MjpkiException.BadRequest("bad-key", "The card's signing and auth keys must differ.");
        }

        var personId = Guid.NewGuid();
        await store.CreatePersonAsync(new PersonRecord(personId, person.BirthDate, time.GetUtcNow()), ct);
        var issued = await ca.IssueAsync(
            [
                new IssueOrder(new IssueRequest(CertificateKind.CardSigning, signingKey, person, person.BirthDate, null), personId, null, null),
                new IssueOrder(new IssueRequest(CertificateKind.CardAuth, authKey, null, person.BirthDate, null), personId, null, null),
            ],
            ct);
        await store.ActivateCardCertificatesAsync(personId, issued.Select(c => c.Serial).ToArray(), by?.Event("office.issue-card", personId.ToString(), null, "ok"), ct);
        LogCardIssued(logger, personId);
        return (personId, issued[0].Der, issued[1].Der);
    }

    /// <summary>利用申請: verify and queue an application; it is issued when the window allows.</summary>
    public async Task<ApplicationRecord> AcceptAsync(byte[] cms, CancellationToken ct)
    {
        using var activity = RaTelemetry.Activities.StartActivity("ra.accept");
        VerifiedApplication verified;
        try
        {
            verified = await verifier.VerifyAsync(cms, ct);
        }
        catch (MjpkiException ex)
        {
            RaTelemetry.ApplicationRefused(ex.Code);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Code);
            throw;
        }

        var phoneId = verified.Content.Device.PhoneId;
        var existing = await store.GetPhoneAsync(phoneId, ct);
        if (existing is { WipeRequested: true })
        {
            throw MjpkiException.Conflict("wipe-pending", "This phone's old certificates must be deleted first: open the app so it can synchronise, then apply again.");
        }

        // The verifier proved the phone id is this SE's; whether its record may change hands (phone-in-use) is decided
        // by PhoneOwnership inside the transaction that writes the application, never on an earlier read.
        var now = time.GetUtcNow();
        var application = ApplicationRecord.Queue(verified, verified.CardSigningCertificate.PersonId, phoneId, now, window.ProcessAfter(now));
        var phone = new PhoneRecord(phoneId, verified.Content.Device.Model, verified.Content.Device.Os, verified.DeviceSecretHash, application.PersonId, false, now);
        if (!await store.TryAddApplicationAsync(application, phone, ct))
        {
            throw MjpkiException.Conflict("replayed-application", "This application was already submitted.");
        }

        RaTelemetry.ApplicationAccepted();
        LogAccepted(logger, application.Id, application.ProcessAfter);
        return application;
    }

    /// <summary>Issues every due application, in batches. Returns how many were processed.</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var batch = await store.ClaimDueApplicationsAsync(time.GetUtcNow(), options.BatchSize, ct);
            if (batch.Count == 0)
            {
                return total;
            }

            foreach (var app in batch)
            {
                _inFlight.TryAdd(app.Id, 0);
            }

            try
            {
                await ProcessBatchAsync(batch, ct);
            }
            finally
            {
                // Whatever is left in Processing after a failure is no longer renewed: its lease runs out and any
                // node takes it back (RequeueExpiredClaimsAsync).
                foreach (var app in batch)
                {
                    _inFlight.TryRemove(app.Id, out _);
                }
            }

            total += batch.Count;
        }
    }

    /// <summary>
    /// Lease heartbeat: renews this node's claims on the batches it is working on right now, so another node does not
    /// take them over while the CA signs. Returns how many claims were renewed.
    /// </summary>
    public async Task<int> RenewClaimsAsync(CancellationToken ct)
    {
        var ids = _inFlight.Keys.ToArray();
        return ids.Length == 0 ? 0 : (await store.RenewClaimsAsync(ids, ct)).Count;
    }

    private async Task ProcessBatchAsync(IReadOnlyList<ApplicationRecord> batch, CancellationToken ct)
    {
        using var activity = RaTelemetry.Activities.StartActivity("ra.issue-batch");
        activity?.SetTag("mjpki.batch.size", batch.Count);
        var started = time.GetTimestamp();
        try
        {
            await IssueBatchAsync(batch, ct);
        }
        finally
        {
            RaTelemetry.BatchIssued(time.GetElapsedTime(started));
        }
    }

    private async Task IssueBatchAsync(IReadOnlyList<ApplicationRecord> batch, CancellationToken ct)
    {
        // Claimed and not yet finished (rejected, released or completed): released if anything below fails.
        var open = batch.Select(a => a.Id).ToHashSet();
        try
        {
            await IssueOpenBatchAsync(batch, open, ct);
        }
        catch (Exception ex) when (open.Count > 0)
        {
            // The CA could not sign now (its key is unavailable), or the database failed during completion: the
            // applications go back to the queue at once, and what was signed for them is revoked, so the running
            // worker retries them with new serials instead of leaving them in Processing until a restart.
            LogBatchFailed(logger, ex.GetType().Name, open.Count);
            try
            {
                await store.ReleaseAsync(open.ToArray(), CancellationToken.None);
            }
            catch (Exception release) when (release is not OperationCanceledException)
            {
                // The database is unreachable: the claims are no longer renewed, so their lease runs out and the
                // next RequeueExpiredClaimsAsync (on this node or another) takes them back.
                LogReleaseFailed(logger, release.GetType().Name, open.Count);
            }

            throw;
        }
    }

    private async Task IssueOpenBatchAsync(IReadOnlyList<ApplicationRecord> batch, HashSet<Guid> open, CancellationToken ct)
    {
        var orders = new List<IssueOrder>();
        var accepted = new List<(ApplicationRecord App, int First, int Count)>();
        var persons = await store.GetPersonsWithCardsAsync(batch.Select(a => a.PersonId).Distinct().ToArray(), ct);
        foreach (var app in batch)
        {
            var (appOrders, rejection) = Plan(app, persons.GetValueOrDefault(app.PersonId));
            if (rejection is not null)
            {
                var note = Notices.Rejected(app.PhoneId, app.Id, rejection, time.GetUtcNow());
                await store.RejectApplicationAsync(app.Id, rejection, time.GetUtcNow(), note, ct);
                open.Remove(app.Id);
                RaTelemetry.ApplicationRejected();
                notifier.Notify(app.PhoneId);
                continue;
            }

            accepted.Add((app, orders.Count, appOrders.Count));
            orders.AddRange(appOrders);
        }

        if (orders.Count == 0)
        {
            return;
        }

        var issued = await ca.IssueAsync(orders, ct);

        // Fencing: a claim this node lost while the CA signed (it stalled past the lease and another node took the
        // application over) must not be completed here; what was signed for it is revoked, never handed out.
        var held = await store.RenewClaimsAsync(accepted.Select(a => a.App.Id).ToArray(), ct);
        var lost = accepted.Where(a => !held.Contains(a.App.Id)).ToArray();
        if (lost.Length > 0)
        {
            LogClaimsLost(logger, lost.Length);
            await store.AbandonAsync(lost.SelectMany(a => issued.Skip(a.First).Take(a.Count)).Select(c => c.Serial).ToArray(), ct);
            foreach (var (app, _, _) in lost)
            {
                open.Remove(app.Id);
            }

            accepted = accepted.Except(lost).ToList();
        }

        var now = time.GetUtcNow();
        var outcomes = accepted
            .Select(a => new IssuanceOutcome(
                a.App.Id,
                a.App.PersonId,
                a.App.PhoneId,
                issued.Skip(a.First).Take(a.Count).ToArray(),
                now,
                Notices.Issued(a.App.PhoneId, a.App.Id, now)))
            .ToArray();
        var notified = outcomes.Length == 0 ? [] : await store.CompleteApplicationsAsync(outcomes, ct);
        open.Clear();
        foreach (var (app, _, _) in accepted)
        {
            RaTelemetry.ApplicationIssued(now - app.ProcessAfter);
        }

        foreach (var certificate in accepted.SelectMany(a => issued.Skip(a.First).Take(a.Count)))
        {
            RaTelemetry.CertificateIssued(certificate.Kind);
        }

        foreach (var phoneId in notified)
        {
            notifier.Notify(phoneId);
        }
    }

    /// <summary>Re-checks the card at issue time and turns an application into CA orders.</summary>
    private (List<IssueOrder> Orders, string? Rejection) Plan(ApplicationRecord app, PersonCards? personCards)
    {
        var now = time.GetUtcNow();
        var person = personCards?.Person;
        var cards = personCards?.Cards ?? [];
        var cardSigning = cards.FirstOrDefault(c => c.Serial == app.CardSigningSerial);
        if (person is null || cardSigning?.Der is null)
        {
            return ([], "申請に使ったマイナンバーカードの署名用電子証明書が失効または一時停止されています / The card's signing certificate used for the application has been revoked or put on hold.");
        }

        if (cardSigning.NotAfter <= now)
        {
            return ([], "マイナンバーカードの署名用電子証明書の有効期限が切れています / The card's signing certificate has expired.");
        }

        var orders = new List<IssueOrder>(app.Keys.Count);
        foreach (var key in app.Keys)
        {
            if (key.Kind == CertificateKind.PhoneSigning)
            {
                // Read straight from the DER: loading an X509Certificate2 per application costs more than the rest of the plan.
                Basic4Info? basic4 = null;
                if (!DerCertificate.TryParse(cardSigning.Der, out var cardCert) || cardCert is null
                    || !cardCert.TryGetExtension(Basic4InfoCodec.SubjectAltNameOid, out var san)
                    || !Basic4InfoCodec.TryReadSubjectAltName(san, out basic4) || basic4 is null)
                {
                    return ([], "カードの基本4情報を読み取れません / The card certificate's basic information could not be read.");
                }

                orders.Add(new IssueOrder(new IssueRequest(CertificateKind.PhoneSigning, key.SubjectPublicKeyInfo, basic4, person.BirthDate, cardSigning.NotAfter), app.PersonId, app.PhoneId, app.Id));
            }
            else
            {
                var cardAuth = cards.Where(c => c.Kind == CertificateKind.CardAuth && c.NotAfter > now).MaxBy(c => c.NotAfter);
                if (cardAuth is null)
                {
                    return ([], "マイナンバーカードの利用者証明用電子証明書が有効ではありません / The card's auth certificate is not valid.");
                }

                orders.Add(new IssueOrder(new IssueRequest(CertificateKind.PhoneAuth, key.SubjectPublicKeyInfo, null, person.BirthDate, cardAuth.NotAfter), app.PersonId, app.PhoneId, app.Id));
            }
        }

        return (orders, null);
    }

    /// <summary>Authenticates a phone's app by the secret whose hash it put in its signed application.</summary>
    public async Task<PhoneRecord> AuthenticatePhoneAsync(string phoneId, string? secret, CancellationToken ct)
    {
        var phone = phoneId.Length <= 64 ? await store.GetPhoneAsync(phoneId, ct) : null;
        if (phone is null || string.IsNullOrEmpty(secret) || secret.Length > 128
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)), phone.DeviceSecretHash))
        {
            // One answer for unknown phone and wrong secret, so the API does not reveal which phones exist.
            throw new MjpkiException(ErrorKind.Unauthorized, "phone-unauthorized", "The phone is not known or its credentials are wrong.");
        }

        return phone;
    }

    public async Task<PhoneStatus> GetStatusAsync(PhoneRecord phone, bool includeCertificates, CancellationToken ct)
    {
        var apps = await store.GetApplicationsOfPhoneAsync(phone.PhoneId, ct);
        var certs = HandedOut(apps, await store.GetCertificatesOfPhoneAsync(phone.PhoneId, ct));
        return new PhoneStatus(
            phone.PhoneId,
            phone.WipeRequested,
            apps.Select(a => new ApplicationView(
                a.Id.ToString(),
                a.Keys.Select(k => k.Kind.HierarchyOf().WireName()).ToArray(),
                a.Status.ToString().ToLowerInvariant(),
                a.AcceptedAt,
                a.ProcessAfter,
                a.Reason)).ToArray(),
            certs.Select(c => new PhoneCertificateView(
                c.Serial,
                c.Kind.HierarchyOf().WireName(),
                CertificateStatusNames.Of(c, time.GetUtcNow()),
                c.NotAfter,
                c.ApplicationId?.ToString(),
                includeCertificates && c.Status == CertificateStatus.Issued && c.Der is not null ? Convert.ToBase64String(c.Der) : null)).ToArray());
    }

    /// <summary>利用登録: the phone's SE accepted these certificates; they become active.</summary>
    public async Task<int> RegisterAsync(PhoneRecord phone, IReadOnlyList<string> serials, CancellationToken ct)
    {
        if (serials.Count is 0 or > 4 || serials.Any(s => s is null || s.Length > 64 || !s.All(char.IsAsciiHexDigitLower)))
        {
            throw MjpkiException.BadRequest("bad-registration", "List the 1–4 serial numbers (lowercase hex) the secure element accepted.");
        }

        var certs = HandedOut(await store.GetApplicationsOfPhoneAsync(phone.PhoneId, ct), await store.GetCertificatesOfPhoneAsync(phone.PhoneId, ct));
        foreach (var serial in serials)
        {
            var cert = certs.FirstOrDefault(c => c.Serial == serial);
            if (cert is null)
            {
                throw MjpkiException.NotFound("unknown-certificate", "No such certificate was issued to this phone.");
            }

            if (cert.Status is not (CertificateStatus.Issued or CertificateStatus.Active))
            {
                throw MjpkiException.Conflict("not-registrable", "This certificate cannot be registered (it is not issued, or it was revoked).");
            }
        }

        return await store.ActivateAsync(phone.PhoneId, serials.Distinct().ToArray(), ct);
    }

    /// <summary>
    /// The phone's certificates it may see: signed ones of applications whose completion committed. Until then the
    /// one-device rule has not revoked the person's other phone, and a recovery may still revoke these as abandoned,
    /// so a certificate of an application that is not Issued is neither listed, nor handed out, nor registrable.
    /// </summary>
    private static List<CertificateRecord> HandedOut(IReadOnlyList<ApplicationRecord> apps, IReadOnlyList<CertificateRecord> certs)
    {
        var completed = apps.Where(a => a.Status == ApplicationStatus.Issued).Select(a => a.Id).ToHashSet();
        return certs.Where(c => c.Status != CertificateStatus.Pending && c.ApplicationId is { } id && completed.Contains(id)).ToList();
    }

    public Task<IReadOnlyList<NotificationRecord>> GetNotificationsAsync(PhoneRecord phone, long afterId, CancellationToken ct) =>
        store.GetNotificationsAsync(phone.PhoneId, afterId, ct);

    public Task AcknowledgeWipeAsync(PhoneRecord phone, CancellationToken ct) => store.AcknowledgeWipeAsync(phone.PhoneId, ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Card issued for person {PersonId}")]
    private static partial void LogCardIssued(ILogger logger, Guid personId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Application {ApplicationId} accepted; due at {ProcessAfter}")]
    private static partial void LogAccepted(ILogger logger, Guid applicationId, DateTimeOffset processAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Issuing a batch failed ({Error}); releasing its {Count} applications for a retry")]
    private static partial void LogBatchFailed(ILogger logger, string error, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Releasing {Count} applications failed ({Error}); they return to the queue when their claim lease runs out")]
    private static partial void LogReleaseFailed(ILogger logger, string error, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} claims were taken over by another node while the CA signed; their certificates are revoked")]
    private static partial void LogClaimsLost(ILogger logger, int count);
}
