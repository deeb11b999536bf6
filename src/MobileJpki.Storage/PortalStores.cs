using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>Sessions of the portal, kiosks and hospital readers (token hashes only).</summary>
public sealed class SessionStore(IDbContextFactory<MjpkiDbContext> contexts) : ISessionStore
{
    public async Task AddAsync(SessionRecord session, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.Sessions.Add(new SessionEntity
        {
            TokenHash = session.TokenHash,
            Audience = session.Audience,
            PersonId = session.PersonId,
            CertificateSerial = session.CertificateSerial,
            CertificateKind = (int)session.Kind,
            Party = session.Party,
            CreatedAt = session.CreatedAt,
            ExpiresAt = session.ExpiresAt,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<SessionLookup?> GetAsync(string tokenHash, CancellationToken ct)
    {
        // One round trip: the session and, by primary key, its certificate's status as committed now.
        await using var db = await contexts.CreateDbContextAsync(ct);
        var found = await (
            from x in db.Sessions.AsNoTracking()
            where x.TokenHash == tokenHash
            join c in db.Certificates.AsNoTracking() on x.CertificateSerial equals c.Serial into certificates
            from c in certificates.DefaultIfEmpty()
            select new { Session = x, Status = (int?)c!.Status, NotAfter = (DateTimeOffset?)c.NotAfter })
            .FirstOrDefaultAsync(ct);
        if (found is null)
        {
            return null;
        }

        var s = found.Session;
        return new SessionLookup(
            new SessionRecord(s.TokenHash, s.Audience, s.PersonId, s.CertificateSerial, (CertificateKind)s.CertificateKind, s.Party, s.CreatedAt, s.ExpiresAt, s.EndedAt),
            (CertificateStatus?)found.Status,
            found.NotAfter);
    }

    public async Task EndAsync(string tokenHash, DateTimeOffset at, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Sessions.Where(x => x.TokenHash == tokenHash && x.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.EndedAt, at), ct);
    }
}

/// <summary>The usage log (利用履歴) in the database.</summary>
public sealed class UsageLogStore(IDbContextFactory<MjpkiDbContext> contexts) : IUsageLog
{
    public async Task RecordAsync(UsageRecord usage, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.Usage.Add(new UsageEntity
        {
            PersonId = usage.PersonId,
            At = usage.At,
            Kind = usage.Kind,
            CertificateSerial = usage.CertificateSerial,
            Party = usage.Party is { Length: > 128 } p ? p[..128] : usage.Party,
            Detail = usage.Detail is { Length: > 256 } d ? d[..256] : usage.Detail,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<UsageRecord>> ListAsync(Guid personId, long beforeId, int limit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Usage.AsNoTracking()
            .Where(u => u.PersonId == personId && (beforeId <= 0 || u.Id < beforeId))
            .OrderByDescending(u => u.Id)
            .Take(Math.Clamp(limit, 1, 200))
            .ToListAsync(ct);
        return rows.ConvertAll(u => new UsageRecord(u.Id, u.PersonId, u.At, u.Kind, u.CertificateSerial, u.Party, u.Detail));
    }
}
