using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>
/// What the registration authority needs from storage (the SA). Owned here, implemented by
/// MobileJpki.Storage, so policy code never touches a database.
/// </summary>
public interface IRaStore : IClaimLeases
{
    Task CreatePersonAsync(PersonRecord person, CancellationToken ct);

    /// <summary>Pending/Issued → Active for a newly issued card's certificates, with <paramref name="audit"/> (if any) in the same transaction.</summary>
    Task ActivateCardCertificatesAsync(Guid personId, IReadOnlyCollection<string> serials, Core.Audit.AuditEvent? audit, CancellationToken ct);

    /// <summary>The person's card certificates that are not revoked.</summary>
    Task<IReadOnlyList<CertificateRecord>> GetActiveCardCertificatesAsync(Guid personId, CancellationToken ct);

    /// <summary>The persons and their unrevoked card certificates, for a whole issuance batch in one read.</summary>
    Task<IReadOnlyDictionary<Guid, PersonCards>> GetPersonsWithCardsAsync(IReadOnlyCollection<Guid> personIds, CancellationToken ct);

    Task<CertificateRecord?> GetCertificateAsync(string serial, CancellationToken ct);

    /// <summary>
    /// Stores the application and upserts its phone; false when the nonce was seen before. In the same transaction, with
    /// the phone row locked, <see cref="PhoneOwnership"/> decides whether the applicant may take the phone record.
    /// </summary>
    /// <exception cref="MjpkiException">phone-in-use: another person's application or certificate still refers to the phone.</exception>
    Task<bool> TryAddApplicationAsync(ApplicationRecord application, PhoneRecord phone, CancellationToken ct);

    /// <summary>Atomically moves up to <paramref name="max"/> due queued applications to Processing and returns them.</summary>
    Task<IReadOnlyList<ApplicationRecord>> ClaimDueApplicationsAsync(DateTimeOffset now, int max, CancellationToken ct);

    /// <summary>
    /// Records signed certificates, marks the applications issued, revokes what they supersede (one phone
    /// per person) and queues the notifications — each outcome in one transaction.
    /// </summary>
    /// <returns>The phones that received a notice (the applicants and any superseded phones).</returns>
    Task<IReadOnlyCollection<string>> CompleteApplicationsAsync(IReadOnlyList<IssuanceOutcome> outcomes, CancellationToken ct);

    /// <summary>
    /// Puts this node's claims on these applications back in the queue (the CA could not sign them, or completion
    /// failed), revoking the certificates already signed for them; applications completed or claimed elsewhere stay.
    /// </summary>
    Task ReleaseAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct);

    Task RejectApplicationAsync(Guid applicationId, string reason, DateTimeOffset at, NotificationRecord notification, CancellationToken ct);

    /// <summary>Returns applications left in Processing by a crash to the queue.</summary>
    Task<int> RequeueInterruptedAsync(CancellationToken ct);

    Task<PhoneRecord?> GetPhoneAsync(string phoneId, CancellationToken ct);

    Task<IReadOnlyList<ApplicationRecord>> GetApplicationsOfPhoneAsync(string phoneId, CancellationToken ct);

    Task<IReadOnlyList<CertificateRecord>> GetCertificatesOfPhoneAsync(string phoneId, CancellationToken ct);

    /// <summary>Issued → Active for the given serials of this phone; returns how many changed.</summary>
    Task<int> ActivateAsync(string phoneId, IReadOnlyCollection<string> serials, CancellationToken ct);

    Task<IReadOnlyList<NotificationRecord>> GetNotificationsAsync(string phoneId, long afterId, CancellationToken ct);

    Task AcknowledgeWipeAsync(string phoneId, CancellationToken ct);

    Task<int> CountQueuedAsync(CancellationToken ct);
}
