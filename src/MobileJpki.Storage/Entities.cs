namespace MobileJpki.Storage;

#pragma warning disable CA1819 // EF entities carry byte[] columns by design.

/// <summary>A card holder.</summary>
public sealed class PersonEntity
{
    public Guid Id { get; set; }

    public DateOnly BirthDate { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Every certificate we ever reserved a serial for, from intent to revocation.</summary>
public sealed class CertificateEntity
{
    public required string Serial { get; set; }

    public int Kind { get; set; }

    public Guid PersonId { get; set; }

    public string? PhoneId { get; set; }

    public Guid? ApplicationId { get; set; }

    public int Status { get; set; }

    public DateTimeOffset NotBefore { get; set; }

    public DateTimeOffset NotAfter { get; set; }

    /// <summary>The to-be-signed certificate, stored before the CA signs (issuance cycle, step 2).</summary>
    public required byte[] Tbs { get; set; }

    public byte[]? Der { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? IssuedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevocationReason { get; set; }
}

/// <summary>A phone that applied.</summary>
public sealed class PhoneEntity
{
    public required string PhoneId { get; set; }

    public required string Model { get; set; }

    public required string Os { get; set; }

    public required byte[] DeviceSecretHash { get; set; }

    public Guid? PersonId { get; set; }

    public bool WipeRequested { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A 利用申請.</summary>
public sealed class ApplicationEntity
{
    public Guid Id { get; set; }

    public Guid PersonId { get; set; }

    public required string PhoneId { get; set; }

    public required string CardSigningSerial { get; set; }

    public required string Nonce { get; set; }

    /// <summary>Kinds and public keys, as JSON (small, read whole).</summary>
    public required string KeysJson { get; set; }

    public int Status { get; set; }

    public DateTimeOffset AcceptedAt { get; set; }

    public DateTimeOffset ProcessAfter { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public string? Reason { get; set; }

    public string? Email { get; set; }

    /// <summary>The node that claimed the application for issuance (Processing), so a restart requeues only its own work.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>
    /// When it was claimed, by the wall clock (not the sandbox clock, which differs per node): after the claim lease
    /// another node may take it back.
    /// </summary>
    public DateTimeOffset? ClaimedAt { get; set; }
}

/// <summary>A notice for a phone; the phone long-polls for ids above the last it saw.</summary>
public sealed class NotificationEntity
{
    public long Id { get; set; }

    public required string PhoneId { get; set; }

    public required string Type { get; set; }

    public Guid? ApplicationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string Title { get; set; }

    public required string Body { get; set; }
}

/// <summary>
/// A message waiting to be delivered (push to the app, Web Push to a browser, e-mail). Written in the same
/// transaction as the event it reports; delivered at least once; receivers apply it once by its key.
/// </summary>
public sealed class OutboxMessageEntity
{
    public long Id { get; set; }

    /// <summary>"app", "webpush" or "email".</summary>
    public required string Channel { get; set; }

    /// <summary>Phone id, Web Push subscription id or e-mail address, per channel.</summary>
    public required string Recipient { get; set; }

    /// <summary>Unique per logical message, so a retried or duplicated delivery is recognised.</summary>
    public required string IdempotencyKey { get; set; }

    public required string PayloadJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Why the last attempt failed (no secrets, no message content).</summary>
    public string? LastError { get; set; }
}

/// <summary>A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys) for a phone's person.</summary>
public sealed class WebPushSubscriptionEntity
{
    public Guid Id { get; set; }

    public required string PhoneId { get; set; }

    public required string Endpoint { get; set; }

    /// <summary>The browser's P-256 public key (base64url, uncompressed point).</summary>
    public required string P256dh { get; set; }

    /// <summary>The 16-byte auth secret (base64url).</summary>
    public required string Auth { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
