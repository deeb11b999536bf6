namespace MobileJpki.Ra;

/// <summary>One stored e-application, as the history shows it (the CMS is fetched separately).</summary>
public sealed record EApplicationRecord(
    Guid Id,
    Guid PersonId,
    string Type,
    string CertificateSerial,
    string Summary,
    DateTimeOffset SubmittedAt,
    string Status);

/// <summary>What e-applications need from storage (the SA): add one, list and fetch a person's own.</summary>
public interface IEApplicationStore
{
    /// <summary>
    /// Stores the application with its CMS exactly as submitted, unless one with the same <paramref name="signedDigest"/>
    /// is stored already (a unique key, so two nodes racing with one document cannot both store it): then false.
    /// </summary>
    Task<bool> AddAsync(EApplicationRecord application, byte[] cms, byte[] signedDigest, CancellationToken ct);

    /// <summary>The person's applications, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<EApplicationRecord>> ListAsync(Guid personId, int limit, CancellationToken ct);

    /// <summary>The CMS of one of the person's applications; null when there is none with this id for this person.</summary>
    Task<byte[]?> GetCmsAsync(Guid personId, Guid id, CancellationToken ct);
}
