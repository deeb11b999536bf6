using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>Device links (cross-device approvals) in the database; every state change is one conditional UPDATE.</summary>
public sealed class DeviceLinkStore(IDbContextFactory<MjpkiDbContext> contexts) : IDeviceLinkStore
{
    public async Task AddAsync(DeviceLinkRecord link, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(link);
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.DeviceLinks.Add(new DeviceLinkEntity
        {
            Id = link.Id,
            Code = link.Code,
            Purpose = link.Purpose,
            RequestJson = link.RequestJson,
            Status = (int)link.Status,
            CreatedAt = link.CreatedAt,
            ExpiresAt = link.ExpiresAt,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<DeviceLinkRecord?> FindByCodeAsync(string code, DateTimeOffset notBefore, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var e = await db.DeviceLinks.AsNoTracking()
            .Where(x => x.Code == code && x.CreatedAt >= notBefore)
            .OrderByDescending(x => x.CreatedAt)
            .FirstOrDefaultAsync(ct);
        return e is null ? null : ToRecord(e);
    }

    public async Task<DeviceLinkRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var e = await db.DeviceLinks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return e is null ? null : ToRecord(e);
    }

    public async Task<bool> TryDecideAsync(Guid id, DeviceLinkStatus status, Guid personId, string serial, string? resultJson, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var changed = await db.DeviceLinks
            .Where(x => x.Id == id && x.Status == (int)DeviceLinkStatus.Pending && x.ExpiresAt > now)
            .ExecuteUpdateAsync(
                u => u.SetProperty(x => x.Status, (int)status)
                    .SetProperty(x => x.PersonId, personId)
                    .SetProperty(x => x.CertificateSerial, serial)
                    .SetProperty(x => x.ResultJson, resultJson)
                    .SetProperty(x => x.CompletedAt, now),
                ct);
        return changed == 1;
    }

    public async Task<bool> TryConsumeAsync(Guid id, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var changed = await db.DeviceLinks
            .Where(x => x.Id == id && x.Status == (int)DeviceLinkStatus.Approved)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, (int)DeviceLinkStatus.Consumed), ct);
        return changed == 1;
    }

    private static DeviceLinkRecord ToRecord(DeviceLinkEntity e) =>
        new(e.Id, e.Code, e.Purpose, e.RequestJson, (DeviceLinkStatus)e.Status, e.PersonId, e.CertificateSerial, e.ResultJson, e.CreatedAt, e.ExpiresAt, e.CompletedAt);
}
