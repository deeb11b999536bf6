using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Tests.Security;

/// <summary>
/// With the sandbox off: the simulators and the sandbox clock are not served and leave nothing on disk, /readyz
/// answers without making a CA key sign, /metrics is only for monitoring, and unset API keys close their APIs.
/// </summary>
public sealed class ProductionSurfaceTests(ProductionServer server) : IClassFixture<ProductionServer>
{
    [Theory]
    [InlineData("GET", "/app")]
    [InlineData("POST", "/app")]
    [InlineData("GET", "/app/phone?id=0123456789abcdef")]
    [InlineData("POST", "/app/apply")]
    [InlineData("GET", "/office")]
    [InlineData("POST", "/office/card")]
    [InlineData("GET", "/api/v1/sandbox/clock")]
    [InlineData("POST", "/api/v1/sandbox/clock")]
    public async Task Simulator_CookielessRequest_404NoCookieNoWorkspace(string method, string path)
    {
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent([new("model", "pixel-8")]);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("mjpki-sim=", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(server.Root, "simulator")), "a simulator workspace was created");
    }

    [Fact]
    public async Task Simulator_Clock_NotMovedByAnonymousPost()
    {
        var before = server.Clock.GetUtcNow();

        using var response = await server.Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { advance = "P3650D" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(server.Clock.GetUtcNow() - before < TimeSpan.FromDays(1));
    }

    [Fact]
    public async Task HomeAndConsole_Production_LinkNoSimulator()
    {
        var home = await server.Client.GetStringAsync("/");
        var signIn = await server.Client.GetStringAsync("/console/sign-in");

        foreach (var page in new[] { home, signIn })
        {
            Assert.DoesNotContain("href=\"/app\"", page, StringComparison.Ordinal);
            Assert.DoesNotContain("href=\"/office\"", page, StringComparison.Ordinal);
            Assert.Contains("href=\"/console\"", page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Readyz_ManyAnonymousRequests_NoCaKeySignatureAndHealthy()
    {
        var probe = server.Services.GetRequiredService<CaKeyProbe>();
        var before = probe.ProbeCount;

        for (var i = 0; i < 25; i++)
        {
            using var ready = await server.Client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        }

        // The probe at start signed; no request has since (the schedule is ten minutes here).
        Assert.Equal(1, before);
        Assert.Equal(before, probe.ProbeCount);
    }

    [Fact]
    public async Task Readyz_ShortInterval_ProbesOnItsScheduleOnly()
    {
        using var fast = new Configured(set => set("Telemetry:ReadinessProbeInterval", "00:00:01"));
        var probe = fast.Services.GetRequiredService<CaKeyProbe>();

        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (probe.ProbeCount < 3 && TimeProvider.System.GetUtcNow() < deadline)
        {
            using var ready = await fast.Client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            await Task.Delay(100);
        }

        Assert.True(probe.ProbeCount >= 3, $"only {probe.ProbeCount} probes in 30 s at one a second");
        Assert.Equal(HealthStatusHealthy, probe.Current().Status.ToString());
    }

    [Fact]
    public async Task ApiKeysUnset_Production_OfficeAndRpAdminClosedUnknownTerminalRefused()
    {
        using var bare = new Configured(_ => { });

        using var office = await bare.Client.PostAsJsonAsync("/api/v1/office/cards", new { });
        using var rp = await bare.Client.PostAsJsonAsync("/api/v1/relying-parties", new { });
        using var kiosk = await bare.Client.PostAsJsonAsync("/api/v1/kiosks/any-kiosk/challenges", new { });
        using var metrics = await bare.Client.GetAsync("/metrics");

        await Problem.AssertAsync(office, 403, "office-closed");
        await Problem.AssertAsync(rp, 403, "rp-admin-closed");
        await Problem.AssertAsync(kiosk, 401, "terminal-unauthorized");

        // Unrestricted unless configured: monitoring is an operator's choice, not a secret.
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Theory]
    [InlineData("10.1.2.3", null, true)]
    [InlineData("::ffff:10.1.2.3", null, true)]
    [InlineData("192.168.1.1", null, false)]
    [InlineData(null, null, false)]
    [InlineData("192.168.1.1", ProductionServer.MetricsKey, true)]
    [InlineData("192.168.1.1", "not-the-metrics-key-0123", false)]
    public void Metrics_NetworksAndKey_DecideTheCaller(string? remote, string? bearer, bool allowed)
    {
        var options = new MonitoringOptions { MetricsNetworks = ["10.0.0.0/8", "fd00::/8"], MetricsKey = ProductionServer.MetricsKey };

        Assert.Equal(allowed, options.Allows(remote is null ? null : IPAddress.Parse(remote), bearer));
        Assert.True(new MonitoringOptions().Allows(null, null));
    }

    private const string HealthStatusHealthy = "Healthy";

    /// <summary>A production server (roots configured, nothing else) plus what a test adds.</summary>
    private sealed class Configured(Action<Action<string, string>> settings) : MjpkiServer
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Production");
            builder.UseSetting("Sandbox:Enabled", "false");
            builder.UseSetting("Ra:SeMakerRoots:0", TestSeMaker.Primary.RootPem);
            settings((key, value) => builder.UseSetting(key, value));
        }
    }
}
