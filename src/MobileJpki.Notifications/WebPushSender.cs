using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace MobileJpki.Notifications;

/// <summary>Sends one Web Push message to a browser's push service.</summary>
public interface IWebPushSender
{
    /// <summary>
    /// Encrypts <paramref name="payload"/> for the subscription and posts it. <paramref name="topic"/> lets the push
    /// service replace an undelivered copy of the same notice (RFC 8030 §5.4).
    /// </summary>
    Task<DeliveryResult> SendAsync(WebPushSubscription subscription, byte[] payload, string topic, CancellationToken ct);
}

/// <summary>RFC 8030 push with RFC 8291 encryption and RFC 8292 VAPID.</summary>
public sealed class HttpWebPushSender(HttpClient http, VapidKeys vapid, WebPushOptions options, TimeProvider time) : IWebPushSender
{
    public async Task<DeliveryResult> SendAsync(WebPushSubscription subscription, byte[] payload, string topic, CancellationToken ct)
    {
        var body = WebPushEncryption.Encrypt(payload, subscription.P256dh, subscription.Auth);
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add("aes128gcm");
        request.Headers.TryAddWithoutValidation("TTL", ((long)options.Ttl.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Urgency", "normal");
        request.Headers.TryAddWithoutValidation("Topic", TopicFor(topic));
        request.Headers.TryAddWithoutValidation("Authorization", vapid.Authorization(subscription.Endpoint, options.Subject, time.GetUtcNow(), options.TokenLifetime));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return response.StatusCode switch
            {
                _ when response.IsSuccessStatusCode => DeliveryResult.Delivered,
                HttpStatusCode.NotFound or HttpStatusCode.Gone => new DeliveryResult(DeliveryStatus.Gone, $"subscription gone ({status})"),
                HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => DeliveryResult.Retry($"push service answered {status}"),
                _ when status >= 500 => DeliveryResult.Retry($"push service answered {status}"),
                _ => DeliveryResult.Abandon($"push service refused the message ({status})"),
            };
        }
        catch (HttpRequestException ex) when (ex.InnerException is PushTargetRefusedException refused)
        {
            // Not a push service this service may reach (PushTargets): trying again would only knock again.
            return DeliveryResult.Abandon(refused.Message);
        }
        catch (HttpRequestException ex)
        {
            return DeliveryResult.Retry($"push service unreachable ({ex.HttpRequestError})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return DeliveryResult.Retry("push service timed out");
        }
    }

    /// <summary>RFC 8030 topics are at most 32 base64url characters: a hash of the notice key.</summary>
    public static string TopicFor(string key) =>
        System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 24));
}
