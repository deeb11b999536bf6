using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MobileJpki.Notifications;

/// <summary>The channels an outbox message goes out on.</summary>
public static class OutboxChannels
{
    /// <summary>The portal app; delivered by the phone's long-poll of its notices, never through the outbox worker.</summary>
    public const string App = "app";

    public const string WebPush = "webpush";

    public const string Email = "email";
}

/// <summary>
/// What every channel carries: the notice as the phone sees it, plus <see cref="Key"/>, the same for every
/// channel and every retry, by which a receiver applies it once.
/// </summary>
public sealed record OutboxNotice(string Key, string Type, string? ApplicationId, string PhoneId, DateTimeOffset CreatedAt, string Title, string Body)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static OutboxNotice? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<OutboxNotice>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Idempotency keys of outbox messages (unique in the database, at most 128 characters).</summary>
public static class OutboxKeys
{
    public const int MaxLength = 128;

    /// <summary>The key of the notice itself, shared by its channels: "{type}:{subject}".</summary>
    public static string Notice(string type, string subject) => $"{type}:{subject}";

    /// <summary>
    /// "{type}:{subject}:{channel}:{recipient}"; when that would be too long (a long address), the recipient is
    /// replaced by a hash of it, so the key stays unique and the same on every write.
    /// </summary>
    public static string For(string noticeKey, string channel, string recipient)
    {
        var key = $"{noticeKey}:{channel}:{recipient}";
        if (key.Length <= MaxLength)
        {
            return key;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipient)));
        key = $"{noticeKey}:{channel}:sha256:{hash}";
        return key.Length <= MaxLength ? key : $"{channel}:sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";
    }
}

/// <summary>An outbox row claimed for delivery.</summary>
public sealed record OutboxMessage(long Id, string Channel, string Recipient, string IdempotencyKey, string PayloadJson, int Attempts);

/// <summary>A browser's push subscription (RFC 8030 endpoint, RFC 8291 keys).</summary>
public sealed record WebPushSubscription(Guid Id, string PhoneId, Uri Endpoint, byte[] P256dh, byte[] Auth);

/// <summary>How one delivery attempt ended.</summary>
public enum DeliveryStatus
{
    Delivered,

    /// <summary>Worth trying again later (the server was down, a timeout, a 5xx).</summary>
    Retry,

    /// <summary>Never going to work (the address is invalid, the message refused): stop trying.</summary>
    Abandon,

    /// <summary>The recipient no longer exists (a push subscription answered 404/410): stop, and forget it.</summary>
    Gone,
}

/// <summary>The result of one attempt; <see cref="Error"/> is short and never carries a secret or the message.</summary>
public sealed record DeliveryResult(DeliveryStatus Status, string? Error = null)
{
    public static readonly DeliveryResult Delivered = new(DeliveryStatus.Delivered);

    public static DeliveryResult Retry(string error) => new(DeliveryStatus.Retry, error);

    public static DeliveryResult Abandon(string error) => new(DeliveryStatus.Abandon, error);
}

/// <summary>What the outbox worker needs from storage (implemented by MobileJpki.Storage).</summary>
public interface IOutboxStore
{
    /// <summary>
    /// Claims up to <paramref name="max"/> undelivered messages due at <paramref name="now"/> (not "app" ones) by
    /// moving their next attempt to <paramref name="leaseUntil"/>, so another worker does not take them; a worker
    /// that dies mid-delivery leaves them to be retried when the lease ends (at-least-once).
    /// </summary>
    Task<IReadOnlyList<OutboxMessage>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken ct);

    Task MarkDeliveredAsync(long id, DateTimeOffset at, CancellationToken ct);

    /// <summary>Records a failed attempt: attempts + 1, the next attempt time and the reason.</summary>
    Task MarkFailedAsync(long id, DateTimeOffset nextAttemptAt, string error, CancellationToken ct);

    Task<WebPushSubscription?> GetWebPushSubscriptionAsync(Guid id, CancellationToken ct);

    Task DeleteWebPushSubscriptionAsync(Guid id, CancellationToken ct);
}
