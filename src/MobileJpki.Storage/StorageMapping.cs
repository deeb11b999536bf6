using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>Rows to records and back, shared by every store of the SA.</summary>
internal static class StorageMapping
{
    public static CertificateRecord ToRecord(CertificateEntity c) => new(
        c.Serial, (CertificateKind)c.Kind, c.PersonId, c.PhoneId, c.ApplicationId, (CertificateStatus)c.Status,
        c.NotBefore, c.NotAfter, c.Der, c.RevokedAt, c.RevocationReason);

    public static ApplicationRecord ToRecord(ApplicationEntity a) => new(
        a.Id, a.PersonId, a.PhoneId, a.CardSigningSerial, a.Nonce,
        JsonSerializer.Deserialize<StoredKey[]>(a.KeysJson)!.Select(k => new ApplicationKeyRecord((CertificateKind)k.Kind, k.Spki)).ToArray(),
        (ApplicationStatus)a.Status, a.AcceptedAt, a.ProcessAfter, a.CompletedAt, a.Reason, a.Email);

    public static NotificationEntity ToEntity(NotificationRecord n) => new()
    {
        PhoneId = n.PhoneId,
        Type = n.Type,
        ApplicationId = n.ApplicationId,
        CreatedAt = n.CreatedAt,
        Title = n.Title,
        Body = n.Body,
    };

    /// <summary>A new queued application row.</summary>
    public static ApplicationEntity ToEntity(ApplicationRecord application, ApplicationPurpose purpose) => new()
    {
        Id = application.Id,
        PersonId = application.PersonId,
        PhoneId = application.PhoneId,
        CardSigningSerial = application.CardSigningSerial,
        Nonce = application.Nonce,
        KeysJson = JsonSerializer.Serialize(application.Keys.Select(k => new StoredKey((int)k.Kind, k.SubjectPublicKeyInfo))),
        Status = (int)ApplicationStatus.Queued,
        AcceptedAt = application.AcceptedAt,
        ProcessAfter = application.ProcessAfter,
        Email = application.Email,
        Purpose = (int)purpose,
    };

    /// <summary>An application's key as kept in <see cref="ApplicationEntity.KeysJson"/>.</summary>
    public sealed record StoredKey(int Kind, byte[] Spki);
}
