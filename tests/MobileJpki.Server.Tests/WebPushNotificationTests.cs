using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Notifications;

namespace MobileJpki.Server.Tests;

/// <summary>Web Push to a push service on loopback: headers, VAPID, and a body only the browser's keys open.</summary>
public sealed class WebPushNotificationTests(MjpkiServer server) : IClassFixture<MjpkiServer>
{
    [Fact]
    public async Task Issue_WithSubscription_PushServiceReceivesVapidSignedMessageTheBrowserDecrypts()
    {
        using var push = FakePushService.Start(HttpStatusCode.Created);
        var (phone, app, receipt) = await ApplyQueuedAsync();
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        var endpoint = push.Endpoint("sub-1");
        var subscriptionId = await SubscribeAsync(phone, endpoint, browser, auth);
        var vapidKey = (await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/webpush/vapid-public-key")).GetProperty("publicKey").GetString()!;

        await server.ToOpeningAsync();
        Assert.Equal("issued", (await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None)).Type);
        var request = await push.NextAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("POST", request.Method);
        Assert.Equal("/sub-1", request.Path);
        Assert.Equal("aes128gcm", request.Headers["Content-Encoding"]);
        Assert.Equal("86400", request.Headers["TTL"]);
        Assert.InRange(request.Headers["Topic"]!.Length, 1, 32);
        var claims = VapidHeader.Verify(request.Headers["Authorization"]!, Base64Url.DecodeFromChars(vapidKey));
        Assert.Equal(push.Origin, claims.GetProperty("aud").GetString());
        var untilExpiry = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64()) - server.Clock.GetUtcNow();
        Assert.InRange(untilExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));
        Assert.StartsWith("mailto:", claims.GetProperty("sub").GetString(), StringComparison.Ordinal);

        var json = WebPushReceiver.Decrypt(request.Body, browser, auth).Plaintext;
        var notice = JsonSerializer.Deserialize<OutboxNotice>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal("issued", notice.Type);
        Assert.Equal(receipt.ApplicationId, notice.ApplicationId);
        Assert.Equal($"issued:{receipt.ApplicationId}", notice.Key);
        Assert.Equal(phone.PhoneId, notice.PhoneId);
        Assert.StartsWith("スマホ用電子証明書の発行が完了しました", notice.Title, StringComparison.Ordinal);

        var key = $"issued:{receipt.ApplicationId}:webpush:{subscriptionId}";
        var row = await NotificationSteps.WaitForOutboxAsync(server, key, r => r.DeliveredAt is not null, "the push to be recorded as delivered");
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task Push_ServiceAnswers410_SubscriptionDeletedAndMessageAbandoned()
    {
        using var push = FakePushService.Start(HttpStatusCode.Gone);
        var (phone, app, receipt) = await ApplyQueuedAsync();
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var subscriptionId = await SubscribeAsync(phone, push.Endpoint("expired"), browser, RandomNumberGenerator.GetBytes(16));

        await server.ToOpeningAsync();
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        await push.NextAsync(TimeSpan.FromSeconds(30));

        var key = $"issued:{receipt.ApplicationId}:webpush:{subscriptionId}";
        var row = await NotificationSteps.WaitForOutboxAsync(server, key, r => r.LastError is not null, "the 410 to be recorded");
        Assert.Null(row.DeliveredAt);
        Assert.Contains("410", row.LastError, StringComparison.Ordinal);
        Assert.Equal(OutboxDispatcher.Never, row.NextAttemptAt);
        await using var db = server.OpenDb();
        Assert.False(await db.WebPushSubscriptions.AnyAsync(w => w.Id == Guid.Parse(subscriptionId)));
    }

    [Fact]
    public async Task Subscribe_BadInput_RefusedWithBadSubscription()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, null), CancellationToken.None);
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = WebPushEncryption.ExportPublicKey(browser);
        var p256dh = Base64Url.EncodeToString(point);
        var auth = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var offCurve = (byte[])point.Clone();
        offCurve[^1] ^= 1;

        var cases = new (string? Endpoint, string? P256dh, string? Auth)[]
        {
            (null, p256dh, auth),
            ("http://push.example.net/x", p256dh, auth),
            ("https://10.0.0.1/x", p256dh, auth),
            ("https://localhost/x", p256dh, auth),
            ("https://user:pw@push.example.net/x", p256dh, auth),
            ("https://push.example.net/" + new string('a', 1100), p256dh, auth),
            ("https://push.example.net/x", Base64Url.EncodeToString(offCurve), auth),
            ("https://push.example.net/x", Base64Url.EncodeToString(point.AsSpan(0, 33)), auth),
            ("https://push.example.net/x", "not base64 !!", auth),
            ("https://push.example.net/x", p256dh, Base64Url.EncodeToString(new byte[15])),
            ("https://push.example.net/x", p256dh, null),
        };
        foreach (var (endpoint, key, secret) in cases)
        {
            using var response = await PostSubscriptionAsync(phone, new { endpoint, keys = new { p256dh = key, auth = secret } });
            await Problem.AssertAsync(response, 400, "bad-subscription");
        }

        using (var ok = await PostSubscriptionAsync(phone, new { endpoint = "https://push.example.net/wpush/v2/abc", keys = new { p256dh, auth } }))
        {
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var unauthenticated = await server.Client.PostAsJsonAsync($"/api/v1/phones/{phone.PhoneId}/webpush-subscriptions", new { endpoint = "https://push.example.net/x", keys = new { p256dh, auth } });
        await Problem.AssertAsync(unauthenticated, 401, "phone-unauthorized");
    }

    [Fact]
    public async Task WaitAsync_DuplicatedNotices_EachAppliedOnce()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var screens = new RecordingScreens();
        using var client = server.CreateDefaultClient(new DuplicatingNotices());
        var app = server.NewApp(phone, screens, client);

        await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, null), CancellationToken.None);
        var notice = await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);

        // The proxy delivered another application's notice three times (twice with one id, once re-sent with a
        // new id) before the real one: the app showed it once, then the real one once.
        Assert.Equal("issued", notice.Type);
        Assert.Equal(2, screens.Titles.Count(t => t.StartsWith("プッシュ通知", StringComparison.Ordinal)));
    }

    /// <summary>Applies after the 19:30 cut-off, so the application waits and a subscription can be added before it is issued.</summary>
    private async Task<(VirtualPhone Phone, PortalApp App, ApplicationReceipt Receipt)> ApplyQueuedAsync()
    {
        var card = await server.IssueCardAsync();
        await server.SetClockAsync(NotificationSteps.NextCutoff(server.Clock.GetUtcNow()));
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var receipt = await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, null), CancellationToken.None);
        Assert.True(receipt.ProcessAfter > receipt.AcceptedAt, "after the cut-off the application waits");
        return (phone, app, receipt);
    }

    private async Task<string> SubscribeAsync(VirtualPhone phone, string endpoint, ECDiffieHellman browser, byte[] auth)
    {
        using var response = await PostSubscriptionAsync(phone, new
        {
            endpoint,
            keys = new { p256dh = Base64Url.EncodeToString(WebPushEncryption.ExportPublicKey(browser)), auth = Base64Url.EncodeToString(auth) },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<HttpResponseMessage> PostSubscriptionAsync(VirtualPhone phone, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/phones/{phone.PhoneId}/webpush-subscriptions") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", phone.App.Values["deviceSecret"]);
        return await server.Client.SendAsync(request);
    }

    /// <summary>Between the app and the server: puts copies of a notice for another application before the real notices.</summary>
    private sealed class DuplicatingNotices : DelegatingHandler
    {
        private int _done;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!request.RequestUri!.AbsolutePath.EndsWith("/notifications", StringComparison.Ordinal) || !response.IsSuccessStatusCode)
            {
                return response;
            }

            var notices = (await response.Content.ReadFromJsonAsync<PhoneNotification[]>(ProtocolJson.Options, cancellationToken))!;
            if (notices.Length == 0 || Interlocked.Exchange(ref _done, 1) == 1)
            {
                response.Content = JsonContent.Create(notices, options: ProtocolJson.Options);
                return response;
            }

            var real = notices[0];
            var other = real with { Id = real.Id - 2, ApplicationId = Guid.NewGuid().ToString() };
            PhoneNotification[] doctored = [other, other, other with { Id = real.Id - 1 }, .. notices];
            response.Content = JsonContent.Create(doctored, options: ProtocolJson.Options);
            return response;
        }
    }
}

/// <summary>A push service on loopback (RFC 8030 §5): records each POST and answers with a fixed status.</summary>
internal sealed class FakePushService : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpStatusCode _status;
    private readonly BlockingCollection<PushRequest> _received = [];

    private FakePushService(int port, HttpStatusCode status)
    {
        _status = status;
        Origin = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Origin + "/");
    }

    public string Origin { get; }

    public static FakePushService Start(HttpStatusCode status)
    {
        var service = new FakePushService(TestSmtp.FreePort(), status);
        service._listener.Start();
        _ = service.ServeAsync();
        return service;
    }

    public string Endpoint(string name) => $"{Origin}/{name}";

    public async Task<PushRequest> NextAsync(TimeSpan timeout)
    {
        var taken = await Task.Run(() => _received.TryTake(out var r, timeout) ? r : null);
        return taken ?? throw new TimeoutException("the push service received nothing");
    }

    public void Dispose()
    {
        _listener.Close();
        _received.Dispose();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k], StringComparer.OrdinalIgnoreCase);
            _received.Add(new PushRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body.ToArray()));
            context.Response.StatusCode = (int)_status;
            context.Response.Close();
        }
    }
}

internal sealed record PushRequest(string Method, string Path, IReadOnlyDictionary<string, string?> Headers, byte[] Body);
