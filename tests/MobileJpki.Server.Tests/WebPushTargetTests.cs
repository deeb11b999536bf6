using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MobileJpki.Notifications;

namespace MobileJpki.Server.Tests;

/// <summary>
/// Outside the sandbox a Web Push goes to public addresses only: checked when a subscription is saved and again when
/// the sender connects, so a name that re-points to an internal address (DNS rebinding) gets no connection
/// (docs/security.md, "Outbound requests").
/// </summary>
public sealed class WebPushTargetTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.10.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("2002:a9fe:a9fe::1")]
    public void IsPublic_InternalAddress_False(string address) => Assert.False(PushTargets.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("93.184.216.34")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("64:ff9b::808:808")]
    public void IsPublic_PublicAddress_True(string address) => Assert.True(PushTargets.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task RefusalAsync_HostResolvingToAnyInternalAddress_Refused()
    {
        var targets = new PushTargets(allowInternal: false, Resolver(new()
        {
            ["push.example.net"] = ["93.184.216.34"],
            ["mixed.example"] = ["93.184.216.34", "10.0.0.5"],
            ["metadata.example"] = ["169.254.169.254"],
        }));

        Assert.Null(await targets.RefusalAsync(new Uri("https://push.example.net/wpush/abc"), CancellationToken.None));
        Assert.Contains("10.0.0.5", await targets.RefusalAsync(new Uri("https://mixed.example/x"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("169.254.169.254", await targets.RefusalAsync(new Uri("https://metadata.example/x"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("does not resolve", await targets.RefusalAsync(new Uri("https://unknown.example/x"), CancellationToken.None), StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", await targets.RefusalAsync(new Uri("https://127.0.0.1/x"), CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusalAsync_Sandbox_InternalAllowed()
    {
        var targets = new PushTargets(allowInternal: true, Resolver(new() { ["internal.example"] = ["10.0.0.5"] }));

        Assert.Null(await targets.RefusalAsync(new Uri("https://internal.example/x"), CancellationToken.None));
    }

    [Fact]
    public async Task SendAsync_NameRepointedToLoopbackAfterSubscription_NoConnectionAndAbandoned()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answers = 0;
        var targets = new PushTargets(allowInternal: false, (host, _) =>
            Task.FromResult(Interlocked.Increment(ref answers) == 1 ? new[] { IPAddress.Parse("93.184.216.34") } : [IPAddress.Loopback]));
        var endpoint = new Uri($"http://rebind.example:{port}/push");

        // At subscription the name is public…
        Assert.Null(await targets.RefusalAsync(endpoint, CancellationToken.None));

        // …at send it says 127.0.0.1: the sender does not connect.
        var result = await SendAsync(targets, endpoint);

        Assert.Equal(DeliveryStatus.Abandon, result.Status);
        Assert.Contains("127.0.0.1", result.Error, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the sender connected to loopback");
    }

    [Fact]
    public async Task SendAsync_SandboxLoopback_Connects()
    {
        // The control: the same send in the sandbox does reach the listener, so the test above can fail.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var targets = new PushTargets(allowInternal: true, (_, _) => Task.FromResult(new[] { IPAddress.Loopback }));

        var result = await SendAsync(targets, new Uri($"http://rebind.example:{port}/push"));

        Assert.Equal(DeliveryStatus.Retry, result.Status);
        Assert.True(listener.Pending(), "the sandbox sender did not connect");
    }

    private static async Task<DeliveryResult> SendAsync(PushTargets targets, Uri endpoint)
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-push-target-").FullName;
        using var vapid = VapidKeys.LoadOrCreate(Path.Combine(dir, "vapid.pem"));
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var http = new HttpClient(targets.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var sender = new HttpWebPushSender(http, vapid, new WebPushOptions { Timeout = TimeSpan.FromSeconds(1) }, TimeProvider.System);
        var subscription = new WebPushSubscription(Guid.NewGuid(), "0123456789abcdef", endpoint, WebPushEncryption.ExportPublicKey(browser), RandomNumberGenerator.GetBytes(16));
        return await sender.SendAsync(subscription, "{}"u8.ToArray(), "topic", CancellationToken.None);
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> Resolver(Dictionary<string, string[]> names) =>
        (host, _) => names.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses.Select(IPAddress.Parse).ToArray())
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
