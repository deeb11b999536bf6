using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>E-applications in the database: the CMS exactly as submitted, read back only for their own person.</summary>
public sealed class EApplicationStore(IDbContextFactory<MjpkiDbContext> contexts) : IEApplicationStore
{
    public async Task<bool> AddAsync(EApplicationRecord application, byte[] cms, byte[] signedDigest, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.EApplications.Add(new EApplicationEntity
        {
            Id = application.Id,
            PersonId = application.PersonId,
            Type = application.Type,
            Cms = cms,
            CertificateSerial = application.CertificateSerial,
            Summary = application.Summary.Length > 256 ? application.Summary[..256] : application.Summary,
            SubmittedAt = application.SubmittedAt,
            Status = application.Status,
            SignedDigest = signedDigest,
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

    public async Task<IReadOnlyList<EApplicationRecord>> ListAsync(Guid personId, int limit, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);

        // Id is a version-7 GUID (time-ordered) as a tie-breaker for applications of the same millisecond.
        var rows = await db.EApplications.AsNoTracking()
            .Where(a => a.PersonId == personId)
            .OrderByDescending(a => a.SubmittedAt)
            .Select(a => new { a.Id, a.PersonId, a.Type, a.CertificateSerial, a.Summary, a.SubmittedAt, a.Status })
            .Take(Math.Clamp(limit, 1, 100))
            .ToListAsync(ct);
        return rows
            .OrderByDescending(a => a.SubmittedAt).ThenByDescending(a => a.Id)
            .Select(a => new EApplicationRecord(a.Id, a.PersonId, a.Type, a.CertificateSerial, a.Summary, a.SubmittedAt, a.Status))
            .ToList();
    }

    public async Task<byte[]?> GetCmsAsync(Guid personId, Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.EApplications.AsNoTracking()
            .Where(a => a.Id == id && a.PersonId == personId)
            .Select(a => a.Cms)
            .FirstOrDefaultAsync(ct);
    }
}
