using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>The certificate status a pre-signed response was signed for (OcspResponses.CertStatus).</summary>
public enum OcspCertStatus
{
    Good = 0,
    Revoked = 1,
    OnHold = 2,
    Unknown = 3,
}

/// <summary>One pre-signed response as shared by all nodes (table OcspResponses).</summary>
/// <param name="UpdatedAt">When the row was written, by the wall clock (not the sandbox clock): what replicas follow.</param>
public sealed record StoredOcspResponse(
    Hierarchy Hierarchy,
    string SerialHex,
    byte[] Der,
    OcspCertStatus CertStatus,
    DateTimeOffset ThisUpdate,
    DateTimeOffset NextUpdate,
    DateTimeOffset UpdatedAt);

/// <summary>A certificate whose response must be signed (again), with its status now.</summary>
public sealed record OcspDue(Hierarchy Hierarchy, string SerialHex, CertificateStatusInfo Status);

/// <summary>What the refresher asks for.</summary>
/// <param name="Now">The service clock: certificates past NotAfter are no longer refreshed.</param>
/// <param name="RefreshBefore">Rows whose nextUpdate is at or before this are due.</param>
/// <param name="ChangedSince">Certificates without a row are looked for among those whose status changed since then; null looks at all (and at rows whose status disagrees with the certificate: the full reconciliation).</param>
public sealed record OcspDueQuery(DateTimeOffset Now, DateTimeOffset RefreshBefore, DateTimeOffset? ChangedSince, int Max);

/// <summary>
/// The shared table of pre-signed OCSP responses, owned by this project and implemented by the SA. Nodes write rows
/// as they sign and follow the table by UpdatedAt to keep their in-memory replica current.
/// </summary>
public interface IOcspResponseStore
{
    /// <summary>Rows with UpdatedAt at or after <paramref name="since"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<StoredOcspResponse>> ReadUpdatedSinceAsync(DateTimeOffset since, int max, CancellationToken ct);

    /// <summary>Issued certificates that need a response: none yet, stale (status changed), near nextUpdate or signed in the future.</summary>
    Task<IReadOnlyList<OcspDue>> FindDueAsync(OcspDueQuery query, CancellationToken ct);

    /// <summary>
    /// Inserts or replaces the row, not stale. If the certificate's status no longer matches what was signed (it
    /// changed meanwhile), the row is left stale so that it is signed again. Idempotent: two nodes saving the same
    /// certificate leave one valid row.
    /// </summary>
    Task SaveAsync(StoredOcspResponse response, CancellationToken ct);
}
