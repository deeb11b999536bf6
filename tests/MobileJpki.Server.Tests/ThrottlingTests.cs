using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core.Protocol;
using MobileJpki.Server.Hosting;
using MobileJpki.Web;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The rate limits (docs/security.md, "Throttling"): a burst from one source is cut exactly at the limit with 429
/// problem+json "rate-limited" and Retry-After, nothing past the limit reaches the operation (no password evaluated,
/// no phone made), another source is served, and a per-account limit holds over many sources. Each test uses sources
/// of its own, since the limiter's windows (10 minutes here) outlast the tests.
/// </summary>
public sealed partial class ThrottlingTests(ThrottlingTests.ThrottledServer server) : IClassFixture<ThrottlingTests.ThrottledServer>
{
    private const int Limit = 3;
    private const int AccountLimit = 4;

    [Fact]
    public async Task OperatorSignIn_ParallelBurst_CutAtTheLimitPasswordsNotEvaluatedPastItOtherSourceServed()
    {
        var name = "nobody-" + Guid.NewGuid().ToString("N")[..8];
        var source = NewSource();

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => SendAsync(HttpMethod.Post, "/api/v1/hotline/sessions", source, new OperatorSignIn(name, "wrong-password-123"))));

        Assert.Equal(Limit, answers.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(12 - Limit, answers.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        await AssertRateLimitedAsync(answers.First(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        await using (var db = server.OpenDb())
        {
            Assert.Equal(Limit, await db.AuditEntries.CountAsync(e => e.Action == "operator.sign-in" && e.Target == name));
        }

        // The supervisor, from another address, signs in at once.
        var (supervisor, password) = await SupervisorAsync();
        using var other = await SendAsync(HttpMethod.Post, "/api/v1/hotline/sessions", NewSource(), new OperatorSignIn(supervisor, password));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Dispose(answers);
    }

    [Fact]
    public async Task OperatorSignIn_ForgedUiRelayTags_StillCountedAsTheConnectionsSource()
    {
        // A client cannot spread its attempts over made-up addresses: a tag this process did not MAC is ignored.
        var source = NewSource();
        var forger = new UiRelay();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < Limit + 2; i++)
        {
            answers.Add(await SendAsync(HttpMethod.Post, "/api/v1/hotline/sessions", source, new OperatorSignIn("nobody-forged", "wrong-password-123"), relayTag: i % 2 == 0 ? forger.Tag(NewSource()) : $"{NewSource()} AAAA"));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, Limit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), answers.Select(a => a.StatusCode));
        Dispose(answers);
    }

    [Fact]
    public async Task OperatorSignIn_RelayedByThisProcessesUi_EachBrowserCountsOnItsOwn()
    {
        // The console calls the API over loopback: every browser behind it would be one source without the relay tag.
        var relay = server.Services.GetRequiredService<UiRelay>();
        var loopback = IPAddress.Loopback;
        var first = NewSource();
        var second = NewSource();
        var firstAnswers = new List<HttpResponseMessage>();
        for (var i = 0; i < Limit + 1; i++)
        {
            firstAnswers.Add(await SendAsync(HttpMethod.Post, "/api/v1/hotline/sessions", loopback, new OperatorSignIn("nobody-relayed", "wrong-password-123"), relayTag: relay.Tag(first)));
        }

        using var secondAnswer = await SendAsync(HttpMethod.Post, "/api/v1/hotline/sessions", loopback, new OperatorSignIn("nobody-relayed", "wrong-password-123"), relayTag: relay.Tag(second));

        Assert.Equal(HttpStatusCode.TooManyRequests, firstAnswers[^1].StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, secondAnswer.StatusCode);
        Dispose(firstAnswers);
    }

    [Fact]
    public async Task PortalChallenges_Burst_CutPerSourceOtherSourceServed()
    {
        var source = NewSource();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => SendAsync(HttpMethod.Post, "/api/v1/portal/challenges", source, new LoginChallengeRequest(null, $"nonce-{i}-0123456789abcdef"))));

        Assert.Equal(Limit, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(8 - Limit, answers.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        await AssertRateLimitedAsync(answers.First(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        using var other = await SendAsync(HttpMethod.Post, "/api/v1/portal/challenges", NewSource(), new LoginChallengeRequest(null, "nonce-other-0123456789abcdef"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Dispose(answers);
    }

    [Fact]
    public async Task TerminalChallenges_ManySourcesOneKiosk_CutPerKioskOtherKioskServed()
    {
        var kiosk = "flood-" + Guid.NewGuid().ToString("N")[..8];

        // One request from each of many addresses: no source is over its limit, the kiosk is.
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < AccountLimit + 3; i++)
        {
            answers.Add(await SendAsync(HttpMethod.Post, $"/api/v1/kiosks/{kiosk}/challenges", NewSource(), new { }));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, AccountLimit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), answers.Select(a => a.StatusCode));
        await AssertRateLimitedAsync(answers[^1]);
        using var otherKiosk = await SendAsync(HttpMethod.Post, $"/api/v1/kiosks/{kiosk}-b/challenges", NewSource(), new { });
        Assert.Equal(HttpStatusCode.OK, otherKiosk.StatusCode);
        using var hospital = await SendAsync(HttpMethod.Post, $"/api/v1/hospitals/{kiosk}/challenges", NewSource(), new { });
        Assert.Equal(HttpStatusCode.OK, hospital.StatusCode);
        Dispose(answers);
    }

    [Fact]
    public async Task DeviceLinkCodes_GuessingBurst_CutOtherSourceServed()
    {
        var source = NewSource();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < Limit + 3; i++)
        {
            answers.Add(await SendAsync(HttpMethod.Get, $"/api/v1/device-links/GUESS{i:D4}", source, null));
        }

        var guessed = answers[0].StatusCode;
        Assert.NotEqual(HttpStatusCode.TooManyRequests, guessed);
        Assert.Equal(Enumerable.Repeat(guessed, Limit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), answers.Select(a => a.StatusCode));
        await AssertRateLimitedAsync(answers[^1]);
        using var decision = await SendAsync(HttpMethod.Post, "/api/v1/device-links/GUESS9999/decision", source, new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, decision.StatusCode);
        using var other = await SendAsync(HttpMethod.Get, "/api/v1/device-links/GUESS9999", NewSource(), null);
        Assert.Equal(guessed, other.StatusCode);
        Dispose(answers);
    }

    [Fact]
    public async Task PushSubscriptions_OnePhoneFromManySources_CutPerPhoneOtherPhoneServed()
    {
        var phoneId = "phone-" + Guid.NewGuid().ToString("N");
        var body = new { endpoint = "https://push.example.com/abc", keys = new { p256dh = "AAAA", auth = "AAAA" } };

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < AccountLimit + 2; i++)
        {
            answers.Add(await SendAsync(HttpMethod.Post, $"/api/v1/phones/{phoneId}/webpush-subscriptions", NewSource(), body, bearer: "not-the-secret"));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, AccountLimit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), answers.Select(a => a.StatusCode));
        await AssertRateLimitedAsync(answers[^1]);
        using var otherPhone = await SendAsync(HttpMethod.Post, $"/api/v1/phones/{phoneId}-b/webpush-subscriptions", NewSource(), body, bearer: "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, otherPhone.StatusCode);
        Dispose(answers);
    }

    [Fact]
    public async Task SimulatorPhones_Burst_CutAtTheLimitNoPhoneMadePastItPagesStillServed()
    {
        var source = NewSource();
        using var browser = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var page = await SendAsync(browser, HttpMethod.Get, "/app", source, null);
        page.EnsureSuccessStatusCode();
        var csrf = CsrfField().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.NotEmpty(csrf);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < Limit + 2; i++)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["ModelId"] = "pixel-8", ["__csrf"] = csrf });
            answers.Add(await SendAsync(browser, HttpMethod.Post, "/app?handler=Phone", source, form));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Redirect, Limit).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), answers.Select(a => a.StatusCode));
        await AssertRateLimitedAsync(answers[^1]);
        var made = answers.Take(Limit).Select(a => a.Headers.Location!.OriginalString).ToArray();
        Assert.Equal(Limit, made.Distinct(StringComparer.Ordinal).Count());

        // Reading pages is not counted.
        for (var i = 0; i < Limit + 2; i++)
        {
            using var again = await SendAsync(browser, HttpMethod.Get, "/app", source, null);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            var html = await again.Content.ReadAsStringAsync();
            Assert.All(made, m => Assert.Contains(m, html, StringComparison.Ordinal));
        }

        Dispose(answers);
    }

    [Theory]
    [InlineData("RateLimits:OperatorSignIn:PermitLimit", "0", "RateLimits:OperatorSignIn")]
    [InlineData("RateLimits:LoginChallenges:PerAccountPermitLimit", "-1", "RateLimits:LoginChallenges")]
    [InlineData("RateLimits:Simulator:Window", "00:00:00", "RateLimits:Simulator:Window")]
    [InlineData("RateLimits:DeviceLinks:Window", "2.00:00:00", "RateLimits:DeviceLinks:Window")]
    public void Options_OutOfRange_RegistrationFailsNamingTheSetting(string key, string value, string named)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var refused = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddMobileJpkiRateLimits(config));

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreTheDocumentedOnesAndValid()
    {
        var options = new RateLimitOptions();
        options.Validate();

        Assert.Equal((20, TimeSpan.FromMinutes(1)), (options.OperatorSignIn.PermitLimit, options.OperatorSignIn.Window));
        Assert.Equal((120, 60), (options.LoginChallenges.PermitLimit, options.LoginChallenges.PerAccountPermitLimit));
        Assert.Equal(60, options.DeviceLinks.PermitLimit);
        Assert.Equal(20, options.Simulator.PermitLimit);
        Assert.Equal((20, 5), (options.PushSubscriptions.PermitLimit, options.PushSubscriptions.PerAccountPermitLimit));
    }

    [Fact]
    public void UiRelay_OnlyItsOwnTagsVerify()
    {
        var relay = new UiRelay();
        var address = IPAddress.Parse("2001:db8::7");

        Assert.Equal(address, relay.Verify(relay.Tag(address)));
        Assert.Null(new UiRelay().Verify(relay.Tag(address)));
        Assert.Null(relay.Verify(relay.Tag(address).Replace("2001:db8::7", "2001:db8::8", StringComparison.Ordinal)));
        foreach (var bad in new[] { null, string.Empty, "2001:db8::7", "2001:db8::7 !!", "not-an-ip AAAA", new string('a', 200) })
        {
            Assert.Null(relay.Verify(bad));
        }
    }

    [Fact]
    public void SourceOf_Ipv6CountsByItsSlash64MappedIpv4AsIpv4()
    {
        Assert.Equal(SourceFor("2001:db8:1:2:aaaa::1"), SourceFor("2001:db8:1:2:bbbb::2"));
        Assert.NotEqual(SourceFor("2001:db8:1:2::1"), SourceFor("2001:db8:1:3::1"));
        Assert.Equal("192.0.2.1", SourceFor("::ffff:192.0.2.1"));

        static string SourceFor(string address)
        {
            var context = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            return RateLimitRegistration.SourceOf(context);
        }
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        await Problem.AssertAsync(response, 429, "rate-limited");
        var retry = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.InRange(retry.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
    }

    private static int _sources;

    /// <summary>An address of the benchmarking range (198.18.0.0/15) that no other test of this class uses.</summary>
    private static IPAddress NewSource()
    {
        var n = Interlocked.Increment(ref _sources);
        return new IPAddress([198, 18, (byte)(n >> 8), (byte)n]);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, IPAddress source, object? body, string? bearer = null, string? relayTag = null) =>
        SendAsync(server.Client, method, path, source, body is null ? null : JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options), bearer, relayTag);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, IPAddress source, HttpContent? content, string? bearer = null, string? relayTag = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(SourceHeader.Name, source.ToString());
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (relayTag is not null)
        {
            request.Headers.TryAddWithoutValidation(UiRelay.HeaderName, relayTag);
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task<(string Name, string Password)> SupervisorAsync()
    {
        _ = server.Client;
        var lines = await File.ReadAllLinesAsync(Path.Combine(server.Root, "hotline-supervisor.txt"));
        return (lines[0], lines[1]);
    }

    private static void Dispose(IEnumerable<HttpResponseMessage> responses)
    {
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    /// <summary>Low limits (3 per source, 4 per account, in 10-minute windows), and the test's header as the connection's address.</summary>
    public sealed class ThrottledServer : MjpkiServer
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            foreach (var policy in new[] { "OperatorSignIn", "LoginChallenges", "DeviceLinks", "Simulator", "PushSubscriptions" })
            {
                builder.UseSetting($"RateLimits:{policy}:PermitLimit", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
                builder.UseSetting($"RateLimits:{policy}:Window", "00:10:00");
            }

            builder.UseSetting("RateLimits:LoginChallenges:PerAccountPermitLimit", AccountLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("RateLimits:PushSubscriptions:PerAccountPermitLimit", AccountLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.ConfigureServices(s => s.AddSingleton<IStartupFilter, SourceHeader>());
        }
    }

    /// <summary>The in-memory test server has no peer address: the test names one per request.</summary>
    private sealed class SourceHeader : IStartupFilter
    {
        public const string Name = "X-Test-Source";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[Name], out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return following(context);
            });
            next(app);
        };
    }
}
