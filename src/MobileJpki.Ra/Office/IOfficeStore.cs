using MobileJpki.Core;
using MobileJpki.Core.Audit;

namespace MobileJpki.Ra.Office;

/// <summary>What the municipal office's card events need from storage (the SA).</summary>
public interface IOfficeStore
{
    /// <summary>The person and every card certificate they ever had (all statuses), or null when unknown.</summary>
    Task<OfficePerson?> GetPersonAsync(Guid personId, CancellationToken ct);

    /// <summary>Any certificate by serial (lowercase hex), or null.</summary>
    Task<CertificateRecord?> GetCertificateAsync(string serial, CancellationToken ct);

    /// <summary>
    /// Applies a card event in one transaction under the person's lock: every card status change (each only from one of
    /// its allowed statuses), the activation of the new card certificates, and the cascade to the person's phone
    /// certificates with a notice per phone. When a card certificate is no longer in an allowed status (another act won
    /// the race) nothing of the event is applied and the new card certificates are revoked as abandoned.
    /// </summary>
    Task<CardEventOutcome> ApplyCardEventAsync(CardEvent cardEvent, CancellationToken ct);
}

/// <summary>A person with every card certificate of theirs.</summary>
public sealed record OfficePerson(PersonRecord Person, IReadOnlyList<CertificateRecord> CardCertificates);

/// <summary>One card certificate's change: allowed only from one of <paramref name="From"/>.</summary>
public sealed record CardStatusChange(string Serial, IReadOnlyCollection<CertificateStatus> From, CertificateStatus To, string? Reason);

/// <summary>
/// The cascade to phone certificates: every Issued, Active or Suspended phone certificate of the person of one of
/// <paramref name="Kinds"/> is revoked with <paramref name="Reason"/>, and each phone concerned gets <paramref name="Notice"/>.
/// </summary>
public sealed record PhoneCascade(IReadOnlyCollection<CertificateKind> Kinds, string Reason, Func<string, DateTimeOffset, NotificationRecord> Notice);

/// <summary>A card event to apply atomically; <paramref name="Audit"/>, if any, is appended in the same transaction when the event is applied.</summary>
public sealed record CardEvent(
    Guid PersonId,
    DateTimeOffset At,
    IReadOnlyList<CardStatusChange> Cards,
    IReadOnlyList<string> Activate,
    PhoneCascade? Phones,
    AuditEvent? Audit = null);

/// <summary>What a card event changed; <paramref name="Applied"/> false means nothing did.</summary>
public sealed record CardEventOutcome(bool Applied, IReadOnlyList<CertificateRecord> Cards, IReadOnlyList<CertificateRecord> Phones);
