using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>What the certificate lifecycle (suspend, resume, revoke, card events) needs from storage (the SA).</summary>
public interface ILifecycleStore
{
    /// <summary>
    /// Puts the person's live phone certificates (Issued or Active; of one phone, or all when <paramref name="phoneId"/>
    /// is null) on hold and queues <paramref name="notice"/> for each phone concerned, in one transaction under the
    /// person's lock. Returns the changed certificates (empty when there was nothing live: nothing changed).
    /// </summary>
    Task<IReadOnlyList<CertificateRecord>> SuspendPhoneCertificatesAsync(Guid personId, string? phoneId, DateTimeOffset at, Func<string, NotificationRecord> notice, CancellationToken ct);

    /// <summary>The person's phone certificates in every status, newest first.</summary>
    Task<IReadOnlyList<CertificateRecord>> GetPhoneCertificatesOfPersonAsync(Guid personId, CancellationToken ct);
}

/// <summary>What a lifecycle step changed.</summary>
public sealed record LifecycleResult(IReadOnlyList<CertificateRecord> Changed)
{
    public IReadOnlyList<string> Serials => Changed.Select(c => c.Serial).ToArray();

    public IReadOnlyList<string> PhoneIds => Changed.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();

    public IReadOnlyList<CertificateKind> Kinds => Changed.Select(c => c.Kind).Distinct().ToArray();
}
