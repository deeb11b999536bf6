using MobileJpki.Core;
using MobileJpki.Core.Audit;

namespace MobileJpki.Ra;

/// <summary>What the certificate lifecycle (suspend, resume, revoke, card events) needs from storage (the SA).</summary>
public interface ILifecycleStore
{
    /// <summary>The person's phone certificates in every status, newest first.</summary>
    Task<IReadOnlyList<CertificateRecord>> GetPhoneCertificatesOfPersonAsync(Guid personId, CancellationToken ct);

    /// <summary>
    /// One lifecycle step (suspend, resume, revoke) in one transaction under the person's lock: loads the person's phone
    /// certificates (every status) and unfinished applications, asks <paramref name="decide"/> (a <see cref="PhoneLifecycleRules"/>
    /// rule; it throws to refuse, changing nothing), applies the change set it returns and, if given, queues
    /// <paramref name="application"/> with <paramref name="purpose"/>. Returns the changed certificates as they are now.
    /// </summary>
    /// <exception cref="MjpkiException">replayed-application when the application's nonce was seen before.</exception>
    Task<IReadOnlyList<CertificateRecord>> ChangePersonAsync(Guid personId, Func<PersonPhones, ChangeSet> decide, ApplicationRecord? application, ApplicationPurpose purpose, AuditEvent? audit, CancellationToken ct);

    /// <summary>
    /// Stores an application with its purpose (2: 機種変更) and upserts its phone, under the person's lock and with the phone
    /// row locked; false when the nonce was seen before.
    /// </summary>
    /// <exception cref="MjpkiException">phone-in-use, as <see cref="IRaStore.TryAddApplicationAsync"/>.</exception>
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
