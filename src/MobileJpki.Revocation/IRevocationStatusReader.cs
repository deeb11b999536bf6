using MobileJpki.Core;

namespace MobileJpki.Revocation;

/// <summary>
/// What OCSP and CRLs need to know about certificates: a read-only view owned by this project and implemented by the
/// SA (MobileJpki.Storage).
/// </summary>
public interface IRevocationStatusReader
{
    /// <summary>
    /// The status of the certificate of <paramref name="hierarchy"/> with this serial (lowercase hex, as stored), or
    /// null when we never issued it there (not found, another hierarchy, or only reserved and never signed).
    /// </summary>
    Task<CertificateStatusInfo?> GetAsync(Hierarchy hierarchy, string serialHex, CancellationToken ct);

    /// <summary>
    /// Every revoked or on-hold certificate of <paramref name="hierarchy"/> whose validity has not ended at
    /// <paramref name="notExpiredAt"/>; with <paramref name="partition"/>, only those whose CRL distribution point names
    /// that partition (CertificateEntity.CrlShard).
    /// </summary>
    Task<IReadOnlyList<RevokedEntry>> GetRevokedAsync(Hierarchy hierarchy, DateTimeOffset notExpiredAt, int? partition, CancellationToken ct);
}

/// <summary>An issued certificate's status: good, or revoked (or on hold: reason "certificateHold") at a time for one of our reason strings.</summary>
/// <remarks>A value: two snapshots are equal when the OCSP answer for them is the same.</remarks>
public sealed record CertificateStatusInfo(bool Revoked, DateTimeOffset RevokedAt, string? Reason)
{
    public static CertificateStatusInfo Good { get; } = new(false, default, null);

    public static CertificateStatusInfo RevokedFor(DateTimeOffset at, string? reason) => new(true, at, reason);
}

/// <summary>One CRL entry: the serial (lowercase hex), when and why (our reason string).</summary>
public readonly record struct RevokedEntry(string SerialHex, DateTimeOffset RevokedAt, string? Reason);
