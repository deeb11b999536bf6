using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The SA side of the hotline: operator accounts, sessions (token hashes only), and persons by birth date.</summary>
public sealed class HotlineStore(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider? time = null) : IHotlineStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<OperatorAccount?> FindOperatorAsync(string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.Operators.AsNoTracking().FirstOrDefaultAsync(o => o.Name == name, ct);
        return row is null ? null : ToAccount(row);
    }

    public async Task<bool> TryAddOperatorAsync(OperatorAccount account, AuditEvent audit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(account);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Operators.Add(new OperatorEntity
        {
            Id = account.Id,
            Name = account.Name,
            Role = account.Role,
            PasswordHash = account.PasswordHash,
            PasswordSalt = account.PasswordSalt,
            PasswordIterations = account.PasswordIterations,
            Disabled = account.Disabled,
            FailedSignIns = account.FailedSignIns,
            CreatedAt = account.CreatedAt,
        });
        await AuditLog.AppendAsync(db, audit, account.CreatedAt, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (MjpkiDatabase.IsUniqueViolation(e))
        {
            return false;
        }

        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> AnySupervisorAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Operators.AnyAsync(o => o.Role == OperatorRules.Supervisor, ct);
    }

    public async Task<SignInAttempt> CountSignInAttemptAsync(Guid operatorId, string source, DateTimeOffset now, Func<SignInAttempt, SignInDecision> decide, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decide);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var at = now.ToUnixTimeMilliseconds();
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "OperatorSignInThrottles" ("OperatorId", "Source", "Attempts", "Lockouts", "LockedUntil", "Version", "UpdatedAt")
            VALUES ({operatorId}, {source}, 0, 0, NULL, 0, {at}) ON CONFLICT ("OperatorId", "Source") DO NOTHING
            """,
            ct);

        // One UPDATE counts the attempt (and restarts the count after a lock that ran out). It holds the row until the
        // commit (PostgreSQL row lock; SQLite's single writer), so what is read back and decided on is this count.
        var row = db.SignInThrottles.Where(t => t.OperatorId == operatorId && t.Source == source);
        await row.ExecuteUpdateAsync(
            s => s
                .SetProperty(t => t.Attempts, t => t.LockedUntil != null && t.LockedUntil <= now ? 1 : t.Attempts + 1)
                .SetProperty(t => t.LockedUntil, t => t.LockedUntil != null && t.LockedUntil <= now ? null : t.LockedUntil)
                .SetProperty(t => t.Version, t => t.Version + 1)
                .SetProperty(t => t.UpdatedAt, now),
            ct);
        var counted = await row.AsNoTracking().Select(t => new SignInAttempt(t.Attempts, t.Lockouts, t.LockedUntil, t.Version)).FirstAsync(ct);
        var decision = decide(counted);
        if (decision.LockUntil is { } until)
        {
            await row.Where(t => t.LockedUntil == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LockedUntil, until).SetProperty(t => t.Lockouts, t => t.Lockouts + 1), ct);
        }

        await AuditLog.AppendIfAnyAsync(db, decision.Audit, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return counted;
    }

    public async Task<bool> CompleteSignInAsync(Guid operatorId, string source, SignInAttempt attempt, OperatorSessionRecord session, AuditEvent audit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(session);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var version = attempt.Version;
        var forgotten = await db.SignInThrottles
            .Where(t => t.OperatorId == operatorId && t.Source == source && t.Version == version)
            .ExecuteDeleteAsync(ct);
        if (forgotten == 0)
        {
            return false;
        }

        await AddSessionAsync(db, session, ct);
        await AuditLog.AppendAsync(db, audit, session.CreatedAt, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task UnlockOperatorAsync(Guid operatorId, AuditEvent audit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SignInThrottles.Where(t => t.OperatorId == operatorId).ExecuteDeleteAsync(ct);
        await db.Operators.Where(o => o.Id == operatorId).ExecuteUpdateAsync(s => s.SetProperty(o => o.FailedSignIns, 0), ct);
        await AuditLog.AppendAsync(db, audit, _time.GetUtcNow(), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task AddSessionAsync(OperatorSessionRecord session, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await AddSessionAsync(db, session, ct);
        await db.SaveChangesAsync(ct);
    }

    public async Task<OperatorAccount?> FindSessionOperatorAsync(string tokenHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await (
            from s in db.OperatorSessions.AsNoTracking()
            join o in db.Operators.AsNoTracking() on s.OperatorId equals o.Id
            where s.TokenHash == tokenHash && s.ExpiresAt > now && !o.Disabled
            select o).FirstOrDefaultAsync(ct);
        return row is null ? null : ToAccount(row);
    }

    public async Task<IReadOnlyList<HotlineCandidate>> GetPersonsBornOnAsync(DateOnly birthDate, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var ids = await db.Persons.AsNoTracking().Where(p => p.BirthDate == birthDate).OrderBy(p => p.CreatedAt).Select(p => p.Id).Take(max).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return [];
        }

        var certificates = await db.Certificates.AsNoTracking()
            .Where(c => ids.Contains(c.PersonId) && c.Der != null
                && (c.Kind == (int)CertificateKind.CardSigning || c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth))
            .ToListAsync(ct);
        var byPerson = certificates.ToLookup(c => c.PersonId);
        return ids.Select(id =>
        {
            var mine = byPerson[id].OrderByDescending(c => c.CreatedAt).ToArray();
            var cards = mine.Where(c => c.Kind == (int)CertificateKind.CardSigning).ToArray();

            // The current card's facts; a person whose card certificates are all revoked is still findable by the last one.
            var current = cards.Where(c => c.Status != (int)CertificateStatus.Revoked).ToArray();
            return new HotlineCandidate(
                id,
                (current.Length > 0 ? current : cards.Take(1)).Select(c => c.Der!).ToArray(),
                mine.Where(c => c.Kind != (int)CertificateKind.CardSigning).Select(StorageMapping.ToRecord).ToArray());
        }).ToArray();
    }

    private static async Task AddSessionAsync(MjpkiDbContext db, OperatorSessionRecord session, CancellationToken ct)
    {
        // Expired sessions of this operator go when a new one starts, so the table stays small.
        await db.OperatorSessions.Where(s => s.OperatorId == session.OperatorId && s.ExpiresAt <= session.CreatedAt).ExecuteDeleteAsync(ct);
        db.OperatorSessions.Add(new OperatorSessionEntity
        {
            TokenHash = session.TokenHash,
            OperatorId = session.OperatorId,
            CreatedAt = session.CreatedAt,
            ExpiresAt = session.ExpiresAt,
            Source = session.Source,
        });
    }

    private static OperatorAccount ToAccount(OperatorEntity o) =>
        new(o.Id, o.Name, o.Role, o.PasswordHash, o.PasswordSalt, o.PasswordIterations, o.Disabled, o.FailedSignIns, o.CreatedAt);
}

/// <summary>One account's sign-in attempts from one source (<see cref="SignInAttempt"/>); no row: none counted.</summary>
public sealed class OperatorSignInThrottleEntity
{
    public Guid OperatorId { get; set; }

    /// <summary>The source key (<see cref="SignInThrottle.SourceKey"/>).</summary>
    public required string Source { get; set; }

    public int Attempts { get; set; }

    public int Lockouts { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }

    public long Version { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
