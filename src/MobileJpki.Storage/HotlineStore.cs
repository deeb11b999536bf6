using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The SA side of the hotline: operator accounts, sessions (token hashes only), and persons by birth date.</summary>
public sealed class HotlineStore(IDbContextFactory<MjpkiDbContext> contexts) : IHotlineStore
{
    public async Task<OperatorAccount?> FindOperatorAsync(string name, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.Operators.AsNoTracking().FirstOrDefaultAsync(o => o.Name == name, ct);
        return row is null ? null : ToAccount(row);
    }

    public async Task<bool> TryAddOperatorAsync(OperatorAccount account, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(account);
        await using var db = await contexts.CreateDbContextAsync(ct);
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
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException e) when (MjpkiDatabase.IsUniqueViolation(e))
        {
            return false;
        }
    }

    public async Task<bool> AnySupervisorAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Operators.AnyAsync(o => o.Role == OperatorRules.Supervisor, ct);
    }

    public async Task<int> RecordFailedSignInAsync(Guid operatorId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // One UPDATE … SET n = n + 1: concurrent failures on several nodes all count.
        await db.Operators.Where(o => o.Id == operatorId).ExecuteUpdateAsync(s => s.SetProperty(o => o.FailedSignIns, o => o.FailedSignIns + 1), ct);
        var count = await db.Operators.Where(o => o.Id == operatorId).Select(o => o.FailedSignIns).FirstAsync(ct);
        await tx.CommitAsync(ct);
        return count;
    }

    public async Task ResetFailedSignInsAsync(Guid operatorId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Operators.Where(o => o.Id == operatorId).ExecuteUpdateAsync(s => s.SetProperty(o => o.FailedSignIns, 0), ct);
    }

    public async Task AddSessionAsync(OperatorSessionRecord session, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var db = await contexts.CreateDbContextAsync(ct);

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

    private static OperatorAccount ToAccount(OperatorEntity o) =>
        new(o.Id, o.Name, o.Role, o.PasswordHash, o.PasswordSalt, o.PasswordIterations, o.Disabled, o.FailedSignIns, o.CreatedAt);
}
