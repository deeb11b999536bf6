using System.Text;
using Microsoft.Extensions.Logging;

namespace MobileJpki.Notifications;

/// <summary>
/// Delivers the outbox: claims due messages, hands each to its channel's sender, and records the result.
/// At least once: a message is marked delivered only after its sender succeeded, so a crash in between sends it
/// again; receivers recognise the repeat by its key (the e-mail's Message-Id, the push's Topic and "key").
/// </summary>
public sealed partial class OutboxDispatcher(
    IOutboxStore store,
    IEmailSender email,
    IWebPushSender webPush,
    NotificationOptions options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger)
{
    /// <summary>The next-attempt time of a message that will not be tried again (exact in milliseconds, as stored).</summary>
    public static readonly DateTimeOffset Never = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Delivers every due message, batch by batch; returns how many attempts were made.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            var batch = await store.ClaimDueAsync(now, now + options.Outbox.Lease, options.Outbox.BatchSize, ct);
            if (batch.Count == 0)
            {
                return total;
            }

            await Parallel.ForEachAsync(
                batch,
                new ParallelOptions { MaxDegreeOfParallelism = options.Outbox.Parallelism, CancellationToken = ct },
                async (message, token) => await DeliverAsync(message, token));
            total += batch.Count;
        }
    }

    private async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        DeliveryResult result;
        try
        {
            result = await SendAsync(message, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A sender bug must not stop the others; the type name says enough and carries no secret.
            result = DeliveryResult.Retry($"unexpected {ex.GetType().Name}");
        }

        var now = time.GetUtcNow();
        switch (result.Status)
        {
            case DeliveryStatus.Delivered:
                await store.MarkDeliveredAsync(message.Id, now, ct);
                LogDelivered(logger, message.Id, message.Channel, message.Attempts + 1);
                break;
            case DeliveryStatus.Gone:
                if (Guid.TryParse(message.Recipient, out var subscriptionId))
                {
                    await store.DeleteWebPushSubscriptionAsync(subscriptionId, ct);
                }

                await store.MarkFailedAsync(message.Id, Never, Short("abandoned: " + result.Error), ct);
                LogAbandoned(logger, message.Id, message.Channel, result.Error);
                break;
            case DeliveryStatus.Abandon:
                await store.MarkFailedAsync(message.Id, Never, Short("abandoned: " + result.Error), ct);
                LogAbandoned(logger, message.Id, message.Channel, result.Error);
                break;
            default:
                var attempts = message.Attempts + 1;
                if (attempts >= options.Outbox.MaxAttempts)
                {
                    await store.MarkFailedAsync(message.Id, Never, Short($"gave up after {attempts} attempts: {result.Error}"), ct);
                    LogAbandoned(logger, message.Id, message.Channel, result.Error);
                }
                else
                {
                    var next = now + options.Outbox.BackoffAfter(attempts);
                    await store.MarkFailedAsync(message.Id, next, Short(result.Error), ct);
                    LogRetry(logger, message.Id, message.Channel, attempts, result.Error, next);
                }

                break;
        }
    }

    private async Task<DeliveryResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        var notice = OutboxNotice.FromJson(message.PayloadJson);
        if (notice is null)
        {
            return DeliveryResult.Abandon("unreadable payload");
        }

        switch (message.Channel)
        {
            case OutboxChannels.Email:
                return await email.SendAsync(EmailComposer.Compose(notice, message.Recipient, message.IdempotencyKey, options.Smtp.From), ct);
            case OutboxChannels.WebPush:
                if (!Guid.TryParse(message.Recipient, out var id) || await store.GetWebPushSubscriptionAsync(id, ct) is not { } subscription)
                {
                    return DeliveryResult.Abandon("subscription removed");
                }

                return await webPush.SendAsync(subscription, Encoding.UTF8.GetBytes(message.PayloadJson), notice.Key, ct);
            default:
                return DeliveryResult.Abandon($"unknown channel '{message.Channel}'");
        }
    }

    private static string Short(string? error) => error is null ? "failed" : error.Length <= 256 ? error : error[..256];

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox message {Id} delivered by {Channel} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, long id, string channel, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {Id} ({Channel}) failed, attempt {Attempt}: {Error}; next try at {Next}")]
    private static partial void LogRetry(ILogger logger, long id, string channel, int attempt, string? error, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {Id} ({Channel}) abandoned: {Error}")]
    private static partial void LogAbandoned(ILogger logger, long id, string channel, string? error);
}
