using MobileJpki.Core.Audit;

namespace MobileJpki.Ra;

/// <summary>What the hotline needs from storage (the SA): operator accounts, sessions, and persons by birth date.</summary>
public interface IHotlineStore
{
    Task<OperatorAccount?> FindOperatorAsync(string name, CancellationToken ct);

    /// <summary>Adds the account and appends <paramref name="audit"/> in one transaction; false (nothing changed, nothing audited) when the name is taken.</summary>
    Task<bool> TryAddOperatorAsync(OperatorAccount account, AuditEvent audit, CancellationToken ct);

    Task<bool> AnySupervisorAsync(CancellationToken ct);

    /// <summary>
    /// Counts one sign-in attempt of (<paramref name="operatorId"/>, <paramref name="source"/>) before its password is
    /// compared, in one conditional UPDATE … RETURNING (an INSERT for the first): a lock that ran out at
    /// <paramref name="now"/> starts the count again at 1. <paramref name="decide"/> sees the counted state and says
    /// whether to lock and what to audit; both are written in the same transaction as the count.
    /// </summary>
    Task<SignInAttempt> CountSignInAttemptAsync(Guid operatorId, string source, DateTimeOffset now, Func<SignInAttempt, SignInDecision> decide, CancellationToken ct);

    /// <summary>
    /// The right password: in one transaction, only if no other attempt of this account and source was counted since
    /// <paramref name="attempt"/> (its <see cref="SignInAttempt.Version"/> is still the row's), forgets the count and its
    /// lock, stores the session and appends <paramref name="audit"/>. False when another attempt came in between:
    /// nothing is written.
    /// </summary>
    Task<bool> CompleteSignInAsync(Guid operatorId, string source, SignInAttempt attempt, OperatorSessionRecord session, AuditEvent audit, CancellationToken ct);

    /// <summary>A supervisor's unlock: forgets every source's count and lock of the account and appends <paramref name="audit"/>, in one transaction.</summary>
    Task UnlockOperatorAsync(Guid operatorId, AuditEvent audit, CancellationToken ct);

    /// <summary>The account behind an unexpired session with this token hash; null when none (or disabled).</summary>
    Task<OperatorAccount?> FindSessionOperatorAsync(string tokenHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Persons born on <paramref name="birthDate"/> (the indexed column), with their card signing and phone certificates.</summary>
    Task<IReadOnlyList<HotlineCandidate>> GetPersonsBornOnAsync(DateOnly birthDate, int max, CancellationToken ct);
}

/// <summary>An operator account as stored.</summary>
public sealed record OperatorAccount(Guid Id, string Name, string Role, byte[] PasswordHash, byte[] PasswordSalt, int PasswordIterations, bool Disabled, int FailedSignIns, DateTimeOffset CreatedAt);

/// <summary>One account's sign-in attempts from one source since its last success, unlock or ran-out lock.</summary>
/// <param name="Attempts">Attempts counted (each before its password was compared).</param>
/// <param name="Lockouts">Locks so far (the exponent of the back-off); forgotten on success or unlock.</param>
/// <param name="LockedUntil">Until when this source may not try; null when not locked.</param>
/// <param name="Version">Grows with every attempt counted, so a success can tell whether another came in meanwhile.</param>
public sealed record SignInAttempt(int Attempts, int Lockouts, DateTimeOffset? LockedUntil, long Version);

/// <summary>What to write with a counted attempt: a lock until <paramref name="LockUntil"/> (null: none), and an audit entry (null: none yet).</summary>
public sealed record SignInDecision(DateTimeOffset? LockUntil, AuditEvent? Audit);

/// <summary>A session as stored: the token's hash only.</summary>
public sealed record OperatorSessionRecord(string TokenHash, Guid OperatorId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? Source);

/// <summary>A person who may be the caller: the DER of their unrevoked card signing certificates (newest first) and their phone certificates.</summary>
public sealed record HotlineCandidate(Guid PersonId, IReadOnlyList<byte[]> CardSigningCertificates, IReadOnlyList<CertificateRecord> PhoneCertificates);

/// <summary>The signed-in operator making a request.</summary>
public sealed record HotlineCaller(Guid Id, string Name, string Role)
{
    public string Actor => "operator:" + Name;
}
