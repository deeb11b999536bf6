namespace MobileJpki.Ra;

/// <summary>The states of a device link (DeviceLinkEntity.Status).</summary>
public enum DeviceLinkStatus
{
    Pending = 0,
    Approved = 1,
    Refused = 2,
    Expired = 3,
    Consumed = 4,
}

/// <summary>The states of a signing transaction (SignTransactionEntity.Status).</summary>
public enum SignTransactionStatus
{
    Pending = 0,
    Signed = 1,
    Refused = 2,
    Expired = 3,
}

/// <summary>A cross-device request waiting for (or answered by) the person's phone.</summary>
public sealed record DeviceLinkRecord(
    Guid Id,
    string Code,
    string Purpose,
    string RequestJson,
    DeviceLinkStatus Status,
    Guid? PersonId,
    string? CertificateSerial,
    string? ResultJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? CompletedAt);

/// <summary>A relying party's request for a signature over a digest, and, once signed, the signature.</summary>
public sealed record SignTransactionRecord(
    Guid Id,
    string ClientId,
    Guid? PersonId,
    byte[] Digest,
    string Description,
    SignTransactionStatus Status,
    Guid? DeviceLinkId,
    byte[]? Cms,
    byte[]? Signature,
    byte[]? Certificate,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? SignedAt);

/// <summary>Device links for relying parties (implemented in MobileJpki.Storage).</summary>
public interface IDeviceLinkStore
{
    Task AddAsync(DeviceLinkRecord link, CancellationToken ct);

    /// <summary>The newest link with this code created after <paramref name="notBefore"/>, or null.</summary>
    Task<DeviceLinkRecord?> FindByCodeAsync(string code, DateTimeOffset notBefore, CancellationToken ct);

    Task<DeviceLinkRecord?> GetAsync(Guid id, CancellationToken ct);

    /// <summary>Pending and unexpired → <paramref name="status"/> (approved or refused), atomically; false if another answer came first or it expired.</summary>
    Task<bool> TryDecideAsync(Guid id, DeviceLinkStatus status, Guid personId, string serial, string? resultJson, DateTimeOffset now, CancellationToken ct);

    /// <summary>Approved → consumed, atomically (a continuation is honoured once); false otherwise.</summary>
    Task<bool> TryConsumeAsync(Guid id, DateTimeOffset now, CancellationToken ct);
}

/// <summary>Signing transactions of relying parties (implemented in MobileJpki.Storage).</summary>
public interface ISignTransactionStore
{
    Task AddAsync(SignTransactionRecord transaction, CancellationToken ct);

    Task<SignTransactionRecord?> GetAsync(Guid id, CancellationToken ct);

    Task<SignTransactionRecord?> FindByDeviceLinkAsync(Guid deviceLinkId, CancellationToken ct);

    /// <summary>Pending → signed with the CMS, raw signature and certificate, atomically; false otherwise.</summary>
    Task<bool> TrySignAsync(Guid id, Guid personId, byte[] cms, byte[] signature, byte[] certificate, DateTimeOffset now, CancellationToken ct);

    /// <summary>Pending → refused; false otherwise.</summary>
    Task<bool> TryRefuseAsync(Guid id, CancellationToken ct);
}
