namespace MobileJpki.Ra;

/// <summary>What the hotline needs from storage (the SA): operator accounts, sessions, and persons by birth date.</summary>
public interface IHotlineStore
{
    Task<OperatorAccount?> FindOperatorAsync(string name, CancellationToken ct);

    /// <summary>Adds the account; false (nothing changed) when the name is taken.</summary>
    Task<bool> TryAddOperatorAsync(OperatorAccount account, CancellationToken ct);

    Task<bool> AnySupervisorAsync(CancellationToken ct);

    /// <summary>Counts one more wrong password (atomically, across nodes); returns the new count.</summary>
    Task<int> RecordFailedSignInAsync(Guid operatorId, CancellationToken ct);

    Task ResetFailedSignInsAsync(Guid operatorId, CancellationToken ct);

    Task AddSessionAsync(OperatorSessionRecord session, CancellationToken ct);

    /// <summary>The account behind an unexpired session with this token hash; null when none (or disabled).</summary>
    Task<OperatorAccount?> FindSessionOperatorAsync(string tokenHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Persons born on <paramref name="birthDate"/> (the indexed column), with their card signing and phone certificates.</summary>
    Task<IReadOnlyList<HotlineCandidate>> GetPersonsBornOnAsync(DateOnly birthDate, int max, CancellationToken ct);
}

/// <summary>An operator account as stored.</summary>
public sealed record OperatorAccount(Guid Id, string Name, string Role, byte[] PasswordHash, byte[] PasswordSalt, int PasswordIterations, bool Disabled, int FailedSignIns, DateTimeOffset CreatedAt);

/// <summary>A session as stored: the token's hash only.</summary>
public sealed record OperatorSessionRecord(string TokenHash, Guid OperatorId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? Source);

/// <summary>A person who may be the caller: the DER of their unrevoked card signing certificates (newest first) and their phone certificates.</summary>
public sealed record HotlineCandidate(Guid PersonId, IReadOnlyList<byte[]> CardSigningCertificates, IReadOnlyList<CertificateRecord> PhoneCertificates);

/// <summary>The signed-in operator making a request.</summary>
public sealed record HotlineCaller(Guid Id, string Name, string Role)
{
    public string Actor => "operator:" + Name;
}
