using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>Status of a certificate in our records.</summary>
public enum CertificateStatus
{
    /// <summary>Serial reserved and to-be-signed data stored; not signed yet (or signing failed).</summary>
    Pending = 0,

    /// <summary>Signed and handed to the phone, but not yet registered (利用登録) in its SE.</summary>
    Issued = 1,

    /// <summary>In use.</summary>
    Active = 2,

    Revoked = 3,

    /// <summary>On hold (一時利用停止, or a lost card): revoked with reason certificateHold until resumed or made final.</summary>
    Suspended = 4,
}

/// <summary>Status of an application (利用申請).</summary>
public enum ApplicationStatus
{
    Queued = 0,
    Processing = 1,
    Issued = 2,
    Rejected = 3,
}

/// <summary>A person known to the municipal office (one per My Number Card holder).</summary>
public sealed record PersonRecord(Guid Id, DateOnly BirthDate, DateTimeOffset CreatedAt);

/// <summary>A person with their unrevoked card certificates.</summary>
public sealed record PersonCards(PersonRecord Person, IReadOnlyList<CertificateRecord> Cards);

/// <summary>A certificate as the registration authority sees it.</summary>
public sealed record CertificateRecord(
    string Serial,
    CertificateKind Kind,
    Guid PersonId,
    string? PhoneId,
    Guid? ApplicationId,
    CertificateStatus Status,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    byte[]? Der,
    DateTimeOffset? RevokedAt,
    string? RevocationReason);

/// <summary>A phone known to the service.</summary>
public sealed record PhoneRecord(
    string PhoneId,
    string Model,
    string Os,
    byte[] DeviceSecretHash,
    Guid? PersonId,
    bool WipeRequested,
    DateTimeOffset CreatedAt);

/// <summary>A key to certify, one per kind in the application.</summary>
public sealed record ApplicationKeyRecord(CertificateKind Kind, byte[] SubjectPublicKeyInfo);

/// <summary>An accepted application.</summary>
public sealed record ApplicationRecord(
    Guid Id,
    Guid PersonId,
    string PhoneId,
    string CardSigningSerial,
    string Nonce,
    IReadOnlyList<ApplicationKeyRecord> Keys,
    ApplicationStatus Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset ProcessAfter,
    DateTimeOffset? CompletedAt,
    string? Reason,
    string? Email)
{
    /// <summary>A new application from a verified signed application, queued until <paramref name="processAfter"/>.</summary>
    public static ApplicationRecord Queue(VerifiedApplication verified, Guid personId, string phoneId, DateTimeOffset now, DateTimeOffset processAfter) => new(
        Guid.NewGuid(),
        personId,
        phoneId,
        verified.CardSigningCertificate.Serial,
        Convert.ToBase64String(verified.Nonce),
        verified.Keys,
        ApplicationStatus.Queued,
        now,
        processAfter,
        null,
        null,
        verified.Content.Email);
}

/// <summary>A notice queued for a phone.</summary>
public sealed record NotificationRecord(long Id, string PhoneId, string Type, Guid? ApplicationId, DateTimeOffset CreatedAt, string Title, string Body);

/// <summary>What issuing one application produced, written in one transaction.</summary>
public sealed record IssuanceOutcome(
    Guid ApplicationId,
    Guid PersonId,
    string PhoneId,
    IReadOnlyList<IssuedCertificate> Certificates,
    DateTimeOffset CompletedAt,
    NotificationRecord Notification);
