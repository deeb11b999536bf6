using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>Signing transactions of relying parties in the database.</summary>
public sealed class SignTransactionStore(IDbContextFactory<MjpkiDbContext> contexts) : ISignTransactionStore
{
    public async Task AddAsync(SignTransactionRecord transaction, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.SignTransactions.Add(new SignTransactionEntity
        {
            Id = transaction.Id,
            ClientId = transaction.ClientId,
            PersonId = transaction.PersonId,
            Digest = transaction.Digest,
            Description = transaction.Description,
            Status = (int)transaction.Status,
            DeviceLinkId = transaction.DeviceLinkId,
            CreatedAt = transaction.CreatedAt,
            ExpiresAt = transaction.ExpiresAt,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<SignTransactionRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var e = await db.SignTransactions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return e is null ? null : ToRecord(e);
    }

    public async Task<SignTransactionRecord?> FindByDeviceLinkAsync(Guid deviceLinkId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var e = await db.SignTransactions.AsNoTracking().FirstOrDefaultAsync(x => x.DeviceLinkId == deviceLinkId, ct);
        return e is null ? null : ToRecord(e);
    }

    public async Task<bool> TrySignAsync(Guid id, Guid personId, byte[] cms, byte[] signature, byte[] certificate, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var changed = await db.SignTransactions
            .Where(x => x.Id == id && x.Status == (int)SignTransactionStatus.Pending && x.ExpiresAt > now)
            .ExecuteUpdateAsync(
                u => u.SetProperty(x => x.Status, (int)SignTransactionStatus.Signed)
                    .SetProperty(x => x.PersonId, personId)
                    .SetProperty(x => x.Cms, cms)
                    .SetProperty(x => x.Signature, signature)
                    .SetProperty(x => x.Certificate, certificate)
                    .SetProperty(x => x.SignedAt, now),
                ct);
        return changed == 1;
    }

    public async Task<bool> TryRefuseAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var changed = await db.SignTransactions
            .Where(x => x.Id == id && x.Status == (int)SignTransactionStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, (int)SignTransactionStatus.Refused), ct);
        return changed == 1;
    }

    private static SignTransactionRecord ToRecord(SignTransactionEntity e) =>
        new(e.Id, e.ClientId, e.PersonId, e.Digest, e.Description, (SignTransactionStatus)e.Status, e.DeviceLinkId, e.Cms, e.Signature, e.Certificate, e.CreatedAt, e.ExpiresAt, e.SignedAt);
}
