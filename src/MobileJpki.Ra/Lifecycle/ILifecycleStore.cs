using MobileJpki.Core;
using MobileJpki.Core.Audit;

namespace MobileJpki.Ra;

/// <summary>What the certificate lifecycle (suspend, resume, revoke, card events) needs from storage (the SA).</summary>
public interface ILifecycleStore
{
    /// <summary>
    /// Puts the person's live phone certificates (Issued or Active; of one phone, or all when <paramref name="phoneId"/>
    /// is null) on hold and queues <paramref name="notice"/> for each phone concerned, in one transaction under the
    /// person's lock, with <paramref name="audit"/> (if any) appended in that transaction. Returns the changed
    /// certificates (empty when there was nothing live: nothing changed, nothing audited).
    /// </summary>
    Task<IReadOnlyList<CertificateRecord>> SuspendPhoneCertificatesAsync(Guid personId, string? phoneId, DateTimeOffset at, Func<string, NotificationRecord> notice, AuditEvent? audit, CancellationToken ct);

    /// <summary>The person's phone certificates in every status, newest first.</summary>
    Task<IReadOnlyList<CertificateRecord>> GetPhoneCertificatesOfPersonAsync(Guid personId, CancellationToken ct);

    /// <summary>
    /// 解除, in one transaction under the person's lock: <paramref name="check"/> sees the person's phone certificates (it
    /// throws to refuse, changing nothing); then the held certificates of <paramref name="phoneId"/> are released (auth:
    /// Active) or revoked (signing: reason resumed), and <paramref name="application"/>, if any, is queued with purpose 1.
    /// Returns the changed certificates.
    /// </summary>
    /// <exception cref="MjpkiException">replayed-application when the application's nonce was seen before.</exception>
    Task<IReadOnlyList<CertificateRecord>> ResumePhoneAsync(Guid personId, string phoneId, Action<IReadOnlyList<CertificateRecord>> check, ApplicationRecord? application, DateTimeOffset at, CancellationToken ct);

    /// <summary>
    /// 失効 from the app, in one transaction under the person's lock: every unrevoked phone certificate of the person on
    /// this phone (issued, active or on hold) is revoked with <paramref name="reason"/>, the phone's queued applications
    /// are rejected with <paramref name="rejection"/>, and the phone is marked to wipe its SE until it acknowledges.
    /// Returns the revoked certificates (empty: nothing changed).
    /// </summary>
    Task<IReadOnlyList<CertificateRecord>> RevokePhoneAsync(Guid personId, string phoneId, string reason, string rejection, DateTimeOffset at, CancellationToken ct);

    /// <summary>Stores an application with its purpose (2: 機種変更) and upserts its phone, under the person's lock; false when the nonce was seen before.</summary>
    Task<bool> AddApplicationAsync(ApplicationRecord application, PhoneRecord phone, ApplicationPurpose purpose, CancellationToken ct);

    /// <summary>Stores a new challenge (and forgets challenges that expired long ago).</summary>
    Task CreateChallengeAsync(ChallengeRecord challenge, CancellationToken ct);

    Task<ChallengeRecord?> GetChallengeAsync(string id, CancellationToken ct);

    /// <summary>Marks the challenge used if it is unused, unexpired at <paramref name="at"/>, and of this purpose and subject; false otherwise (nothing changed).</summary>
    Task<bool> UseChallengeAsync(string id, string purpose, string subject, DateTimeOffset at, CancellationToken ct);
}

/// <summary>Why an application was made (<c>ApplicationEntity.Purpose</c>).</summary>
public enum ApplicationPurpose
{
    /// <summary>利用申請.</summary>
    New = 0,

    /// <summary>解除: the signing certificate of a suspended phone, issued again.</summary>
    Resume = 1,

    /// <summary>機種変更: certificates for a new phone; the old phone's are revoked on issue.</summary>
    DeviceChange = 2,
}

/// <summary>A single-use challenge handed to one subject (a phone) for one purpose.</summary>
public sealed record ChallengeRecord(string Id, string Purpose, string Subject, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt);

/// <summary>What a lifecycle step changed.</summary>
public sealed record LifecycleResult(IReadOnlyList<CertificateRecord> Changed)
{
    public IReadOnlyList<string> Serials => Changed.Select(c => c.Serial).ToArray();

    public IReadOnlyList<string> PhoneIds => Changed.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();

    public IReadOnlyList<CertificateKind> Kinds => Changed.Select(c => c.Kind).Distinct().ToArray();
}
