using System.Buffers.Text;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Notifications;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The outbox and the Web Push subscriptions: what the notification worker and endpoints read and write.</summary>
public sealed class OutboxStore(IDbContextFactory<MjpkiDbContext> contexts) : IOutboxStore
{
    public async Task<IReadOnlyList<OutboxMessage>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var due = await db.Outbox.AsNoTracking()
            .Where(o => o.DeliveredAt == null && o.NextAttemptAt <= now && o.Channel != OutboxChannels.App)
            .OrderBy(o => o.NextAttemptAt)
            .Take(max)
            .ToListAsync(ct);
        var claimed = new List<OutboxMessage>(due.Count);
        foreach (var row in due)
        {
            // A conditional update per row: if another worker moved the row first, ours changes nothing and we skip it.
            var seen = row.NextAttemptAt;
            var won = await db.Outbox
                .Where(o => o.Id == row.Id && o.DeliveredAt == null && o.NextAttemptAt == seen)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.NextAttemptAt, leaseUntil), ct);
            if (won == 1)
            {
                claimed.Add(new OutboxMessage(row.Id, row.Channel, row.Recipient, row.IdempotencyKey, row.PayloadJson, row.Attempts));
            }
        }

        return claimed;
    }

    public async Task MarkDeliveredAsync(long id, DateTimeOffset at, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Outbox.Where(o => o.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.DeliveredAt, at).SetProperty(o => o.Attempts, o => o.Attempts + 1).SetProperty(o => o.LastError, (string?)null), ct);
    }

    public async Task MarkFailedAsync(long id, DateTimeOffset nextAttemptAt, string error, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.Outbox.Where(o => o.Id == id && o.DeliveredAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.NextAttemptAt, nextAttemptAt).SetProperty(o => o.Attempts, o => o.Attempts + 1).SetProperty(o => o.LastError, error), ct);
    }

    public async Task<WebPushSubscription?> GetWebPushSubscriptionAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var w = await db.WebPushSubscriptions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return w is null ? null : new WebPushSubscription(w.Id, w.PhoneId, new Uri(w.Endpoint), Base64Url.DecodeFromChars(w.P256dh), Base64Url.DecodeFromChars(w.Auth));
    }

    public async Task DeleteWebPushSubscriptionAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await db.WebPushSubscriptions.Where(w => w.Id == id).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// Adds a phone's subscription, or refreshes the keys of the one with the same endpoint; beyond
    /// <paramref name="maxPerPhone"/> the oldest is dropped. Returns the subscription's id.
    /// </summary>
    public async Task<Guid> SaveWebPushSubscriptionAsync(string phoneId, string endpoint, string p256dh, string auth, DateTimeOffset at, int maxPerPhone, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var existing = await db.WebPushSubscriptions.Where(w => w.PhoneId == phoneId).OrderBy(w => w.CreatedAt).ToListAsync(ct);
        var same = existing.FirstOrDefault(w => w.Endpoint == endpoint);
        if (same is not null)
        {
            same.P256dh = p256dh;
            same.Auth = auth;
        }
        else
        {
            db.WebPushSubscriptions.RemoveRange(existing.Take(Math.Max(0, existing.Count - maxPerPhone + 1)));
            same = new WebPushSubscriptionEntity { Id = Guid.NewGuid(), PhoneId = phoneId, Endpoint = endpoint, P256dh = p256dh, Auth = auth, CreatedAt = at };
            db.WebPushSubscriptions.Add(same);
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return same.Id;
    }
}

/// <summary>
/// Writes the outbox rows of notices inside the caller's transaction (the one that records the event), so a
/// notice is queued for e-mail and Web Push if and only if the event happened.
/// </summary>
internal static class OutboxWriter
{
    public static async Task AddAsync(MjpkiDbContext db, IReadOnlyList<(NotificationRecord Notice, string? Email)> notices, CancellationToken ct)
    {
        if (notices.Count == 0)
        {
            return;
        }

        var phoneIds = notices.Select(n => n.Notice.PhoneId).Distinct().ToArray();
        var subscriptions = (await db.WebPushSubscriptions.AsNoTracking().Where(w => phoneIds.Contains(w.PhoneId)).Select(w => new { w.Id, w.PhoneId }).ToListAsync(ct))
            .ToLookup(w => w.PhoneId, w => w.Id);
        foreach (var (n, email) in notices)
        {
            var subject = n.ApplicationId?.ToString() ?? $"{n.PhoneId}:{n.CreatedAt.ToUnixTimeMilliseconds()}";
            var key = OutboxKeys.Notice(n.Type, subject);
            var payload = new OutboxNotice(key, n.Type, n.ApplicationId?.ToString(), n.PhoneId, n.CreatedAt, n.Title, n.Body).ToJson();
            if (!string.IsNullOrWhiteSpace(email))
            {
                Add(db, OutboxChannels.Email, email.Trim(), OutboxKeys.For(key, OutboxChannels.Email, email.Trim().ToLowerInvariant()), payload, n.CreatedAt);
            }

            foreach (var id in subscriptions[n.PhoneId])
            {
                Add(db, OutboxChannels.WebPush, id.ToString(), OutboxKeys.For(key, OutboxChannels.WebPush, id.ToString()), payload, n.CreatedAt);
            }
        }
    }

    private static void Add(MjpkiDbContext db, string channel, string recipient, string key, string payload, DateTimeOffset at) =>
        db.Outbox.Add(new OutboxMessageEntity
        {
            Channel = channel,
            Recipient = recipient,
            IdempotencyKey = key,
            PayloadJson = payload,
            CreatedAt = at,
            NextAttemptAt = at,
        });
}
