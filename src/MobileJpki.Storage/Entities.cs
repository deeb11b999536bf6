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

    /// <summary>When it was revoked, or put on hold while <see cref="Status"/> is Suspended.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>RFC 5280 reason name ("keyCompromise", "certificateHold", …) or one of ours ("abandoned").</summary>
    public string? RevocationReason { get; set; }

    /// <summary>When the status last changed (issue, activation, hold, release, revocation): the OCSP refresher's cue.</summary>
    public DateTimeOffset? StatusChangedAt { get; set; }

    /// <summary>The CRL partition named in the certificate's CRL distribution point; null for the whole-CA CRL only.</summary>
    public int? CrlShard { get; set; }
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

    /// <summary>Why it was made: 0 new application (利用申請), 1 resume after suspension (解除), 2 device change (機種変更).</summary>
    public int Purpose { get; set; }

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

/// <summary>
/// A pre-signed OCSP response for one certificate (docs/revocation.md), shared by every node: signed when the
/// certificate is issued or changes status and refreshed before nextUpdate, so answering costs no RSA operation.
/// </summary>
public sealed class OcspResponseEntity
{
    public required string Serial { get; set; }

    public int Hierarchy { get; set; }

    /// <summary>The DER OCSPResponse.</summary>
    public required byte[] Der { get; set; }

    /// <summary>The certificate status it was signed for: 0 good, 1 revoked, 2 on hold, 3 unknown.</summary>
    public int CertStatus { get; set; }

    public DateTimeOffset ThisUpdate { get; set; }

    public DateTimeOffset NextUpdate { get; set; }

    /// <summary>When this row was written (wall clock): nodes follow the table by this column to refresh their memory.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The certificate's status changed after this response was signed; the refresher signs it again.</summary>
    public bool Stale { get; set; }
}

/// <summary>The last cRLNumber used per CA and partition, so numbers only grow across restarts, nodes and clock changes.</summary>
public sealed class CrlStateEntity
{
    public int Hierarchy { get; set; }

    /// <summary>-1 for the whole-CA CRL, otherwise the partition.</summary>
    public int Shard { get; set; }

    public long LastNumber { get; set; }

    public DateTimeOffset LastThisUpdate { get; set; }
}

/// <summary>A hotline operator's account (マイナンバー総合フリーダイヤル).</summary>
public sealed class OperatorEntity
{
    public Guid Id { get; set; }

    /// <summary>Sign-in name, unique.</summary>
    public required string Name { get; set; }

    /// <summary>"operator" or "supervisor".</summary>
    public required string Role { get; set; }

    /// <summary>PBKDF2-SHA256 of the password.</summary>
    public required byte[] PasswordHash { get; set; }

    public required byte[] PasswordSalt { get; set; }

    public int PasswordIterations { get; set; }

    public bool Disabled { get; set; }

    public int FailedSignIns { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A signed-in operator's session; only the token's SHA-256 is kept.</summary>
public sealed class OperatorSessionEntity
{
    /// <summary>Lowercase hex SHA-256 of the bearer token.</summary>
    public required string TokenHash { get; set; }

    public Guid OperatorId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Where the sign-in came from (remote address).</summary>
    public string? Source { get; set; }
}

/// <summary>
/// One entry of the append-only, hash-chained audit log: Hash = SHA-256 over the previous entry's hash and this
/// entry's canonical fields, so changing, removing or reordering any entry breaks every later link.
/// </summary>
public sealed class AuditEntryEntity
{
    /// <summary>1, 2, 3, … without gaps.</summary>
    public long Sequence { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Who: "operator:NAME", "office:…", "phone:ID", "system".</summary>
    public required string Actor { get; set; }

    public string? Role { get; set; }

    /// <summary>What: e.g. "operator.sign-in", "hotline.suspend", "office.address-change".</summary>
    public required string Action { get; set; }

    /// <summary>On whom or what: a person id, a serial, an operator name.</summary>
    public string? Target { get; set; }

    /// <summary>Why, as given (free text, bounded).</summary>
    public string? Reason { get; set; }

    /// <summary>From where: remote address.</summary>
    public string? Source { get; set; }

    /// <summary>"ok" or the refusal code ("forbidden", …).</summary>
    public required string Outcome { get; set; }

    /// <summary>Lowercase hex SHA-256 of the previous entry (64 zeros for the first).</summary>
    public required string PreviousHash { get; set; }

    /// <summary>Lowercase hex SHA-256 of this entry.</summary>
    public required string Hash { get; set; }
}

/// <summary>A single-use challenge (password reset, resume, portal login), valid until it expires or is used.</summary>
public sealed class ChallengeEntity
{
    /// <summary>Base64url of 32 random bytes.</summary>
    public required string Id { get; set; }

    /// <summary>What it may be used for ("reset-password", "resume", "login", …).</summary>
    public required string Purpose { get; set; }

    /// <summary>The phone (or browser session) it was handed to; answers from anyone else are refused.</summary>
    public required string Subject { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}

/// <summary>
/// A signed-in session bound to one person and the certificate that authenticated it: the portal (マイナポータル),
/// a convenience-store kiosk or a hospital reader. Only the token's SHA-256 is kept.
/// </summary>
public sealed class SessionEntity
{
    /// <summary>Lowercase hex SHA-256 of the bearer token or cookie value.</summary>
    public required string TokenHash { get; set; }

    /// <summary>"portal", "kiosk", "hospital".</summary>
    public required string Audience { get; set; }

    public Guid PersonId { get; set; }

    /// <summary>The auth certificate that signed the login challenge (phone or card).</summary>
    public required string CertificateSerial { get; set; }

    public int CertificateKind { get; set; }

    /// <summary>The kiosk, reader or relying party the session was opened for, when not the portal.</summary>
    public string? Party { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>One use of a person's certificate (login, signature, kiosk, hospital, relying party), shown to that person in My Page.</summary>
public sealed class UsageEntity
{
    public long Id { get; set; }

    public Guid PersonId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>"login", "sign", "kiosk", "hospital", "oidc-login", "oidc-sign", "e-application".</summary>
    public required string Kind { get; set; }

    public string? CertificateSerial { get; set; }

    /// <summary>Who relied on it: a relying party's name, a kiosk or hospital id, "portal".</summary>
    public string? Party { get; set; }

    /// <summary>What it was for (bounded; never the 基本4情報).</summary>
    public string? Detail { get; set; }
}

/// <summary>
/// A cross-device request waiting for the person's approval on the phone (device link): an OIDC authorization, a
/// signing transaction, a kiosk or hospital login. The page shows <see cref="Code"/> (and a QR); the phone approves.
/// </summary>
public sealed class DeviceLinkEntity
{
    public Guid Id { get; set; }

    /// <summary>Short code typed or scanned on the phone; unique among unexpired links.</summary>
    public required string Code { get; set; }

    /// <summary>"oidc-login", "oidc-sign", "sign-transaction", "portal-login", "kiosk", "hospital".</summary>
    public required string Purpose { get; set; }

    /// <summary>What the person is asked to approve, as JSON (client, scopes, description, digest…).</summary>
    public required string RequestJson { get; set; }

    /// <summary>0 pending, 1 approved, 2 refused, 3 expired, 4 consumed.</summary>
    public int Status { get; set; }

    /// <summary>Set on approval: whose phone approved.</summary>
    public Guid? PersonId { get; set; }

    public string? CertificateSerial { get; set; }

    /// <summary>Set on approval: the proof (signature, CMS…) as JSON.</summary>
    public string? ResultJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A relying party's request for a signature over a SHA-256 digest (signing API).</summary>
public sealed class SignTransactionEntity
{
    public Guid Id { get; set; }

    /// <summary>The relying party (OIDC client_id) that asked.</summary>
    public required string ClientId { get; set; }

    /// <summary>Set when the relying party names the person (the subject of an earlier login); otherwise bound on approval.</summary>
    public Guid? PersonId { get; set; }

    public required byte[] Digest { get; set; }

    public required string Description { get; set; }

    /// <summary>0 pending, 1 signed, 2 refused, 3 expired.</summary>
    public int Status { get; set; }

    public Guid? DeviceLinkId { get; set; }

    /// <summary>CMS SignedData (CAdES-BES, detached).</summary>
    public byte[]? Cms { get; set; }

    /// <summary>The raw PKCS#1 v1.5 signature.</summary>
    public byte[]? Signature { get; set; }

    public byte[]? Certificate { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? SignedAt { get; set; }
}

/// <summary>An e-application (転出届, パスポート申請, …) signed with the phone signing certificate, as submitted.</summary>
public sealed class EApplicationEntity
{
    public Guid Id { get; set; }

    public Guid PersonId { get; set; }

    /// <summary>"moving-out", "moving-in-visit", "passport", "benefit-account", "health-insurance".</summary>
    public required string Type { get; set; }

    /// <summary>The CMS SignedData as submitted (encapsulated content: the form as JSON).</summary>
    public required byte[] Cms { get; set; }

    public required string CertificateSerial { get; set; }

    /// <summary>A short summary for the history list (no 基本4情報).</summary>
    public required string Summary { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>"received", "accepted", "returned".</summary>
    public required string Status { get; set; }

    /// <summary>SHA-256 of the signed attributes (what the SE signed); unique, so a document is stored once. Null for rows stored before it existed.</summary>
    public byte[]? SignedDigest { get; set; }
}
