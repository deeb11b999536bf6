using System.Buffers.Text;
using System.Net;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Notifications;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;
using MobileJpki.Storage;

namespace MobileJpki.Server.Endpoints;

/// <summary>Web Push: the VAPID key browsers subscribe with, and the subscriptions of a phone's person.</summary>
internal static class NotificationEndpoints
{
    private const int MaxEndpointLength = 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Notifications");
        api.MapGet("/webpush/vapid-public-key", (VapidKeys vapid) => Results.Json(new VapidPublicKey(vapid.PublicKeyBase64Url)))
            .WithSummary("The VAPID public key (RFC 8292), base64url: a browser's pushManager.subscribe applicationServerKey")
            .Produces<VapidPublicKey>();
        api.MapPost("/phones/{phoneId}/webpush-subscriptions", SubscribeAsync)
            .WithSummary("Register a browser's push subscription (PushSubscription.toJSON()) to receive this phone's notices by Web Push")
            .Produces<WebPushSubscriptionCreated>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024))
            .WithMetadata(new RateLimitAccount("phoneId"))
            .RequireRateLimiting(RateLimitPolicies.PushSubscriptions);
    }

    private static async Task<IResult> SubscribeAsync(
        string phoneId,
        WebPushSubscriptionRequest body,
        HttpRequest request,
        RegistrationAuthority ra,
        OutboxStore outbox,
        NotificationOptions options,
        IOptions<SandboxOptions> sandbox,
        PushTargets targets,
        TimeProvider time,
        CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var endpoint = ValidateEndpoint(body?.Endpoint, sandbox.Value.Enabled);
        if (await targets.RefusalAsync(endpoint, ct) is { } refusal)
        {
            throw MjpkiException.BadRequest("bad-subscription", $"'endpoint' must be a push service on the public Internet: {refusal}");
        }

        var p256dh = DecodeKey(body?.Keys?.P256dh, "keys.p256dh", WebPushEncryption.KeyLength);
        if (!WebPushEncryption.IsValidPublicKey(p256dh))
        {
            throw MjpkiException.BadRequest("bad-subscription", "'keys.p256dh' is not an uncompressed P-256 point on the curve.");
        }

        var auth = DecodeKey(body?.Keys?.Auth, "keys.auth", WebPushEncryption.AuthSecretLength);
        var id = await outbox.SaveWebPushSubscriptionAsync(
            phone.PhoneId, endpoint.AbsoluteUri, Base64Url.EncodeToString(p256dh), Base64Url.EncodeToString(auth), time.GetUtcNow(), options.WebPush.MaxSubscriptionsPerPhone, ct);
        return Results.Json(new WebPushSubscriptionCreated(id.ToString()), statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// https only, no credentials in the URL, and no address literal or localhost (the service must not be pointed at
    /// its own network); the sandbox also accepts http://127.0.0.1 for a push service on the tester's machine.
    /// </summary>
    private static Uri ValidateEndpoint(string? value, bool sandbox)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxEndpointLength || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw MjpkiException.BadRequest("bad-subscription", $"'endpoint' must be an absolute URL of at most {MaxEndpointLength} characters.");
        }

        var loopbackHttp = uri.Scheme == Uri.UriSchemeHttp && uri.Host == "127.0.0.1";
        if (sandbox && loopbackHttp)
        {
            return uri;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            throw MjpkiException.BadRequest("bad-subscription", sandbox ? "'endpoint' must be https (or http://127.0.0.1 in the sandbox)." : "'endpoint' must be https.");
        }

        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out _) || uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw MjpkiException.BadRequest("bad-subscription", "'endpoint' must name a push service by its host name.");
        }

        return uri;
    }

    private static byte[] DecodeKey(string? value, string field, int length)
    {
        var maxChars = (length * 4 + 2) / 3 + 2;
        byte[]? bytes = null;
        if (!string.IsNullOrEmpty(value) && value.Length <= maxChars)
        {
            try
            {
                // Browsers give base64url without padding; accept padding too.
                bytes = Base64Url.DecodeFromChars(value.TrimEnd('='));
            }
            catch (FormatException)
            {
                bytes = null;
            }
        }

        return bytes is not null && bytes.Length == length
            ? bytes
            : throw MjpkiException.BadRequest("bad-subscription", $"'{field}' must be {length} bytes in base64url.");
    }
}

/// <summary>A browser's PushSubscription as its toJSON() gives it.</summary>
public sealed record WebPushSubscriptionRequest(
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("keys")] WebPushSubscriptionKeys? Keys);

/// <summary>The subscription's keys (RFC 8291): the browser's P-256 public key and its 16-byte auth secret, base64url.</summary>
public sealed record WebPushSubscriptionKeys(
    [property: JsonPropertyName("p256dh")] string? P256dh,
    [property: JsonPropertyName("auth")] string? Auth);

public sealed record WebPushSubscriptionCreated([property: JsonPropertyName("id")] string Id);

public sealed record VapidPublicKey([property: JsonPropertyName("publicKey")] string PublicKey);
