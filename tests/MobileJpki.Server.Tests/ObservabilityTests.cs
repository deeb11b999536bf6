using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using MobileJpki.App;

namespace MobileJpki.Server.Tests;

/// <summary>The server with every log line captured at the most verbose level.</summary>
public sealed class LoggedMjpkiServer : MjpkiServer
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Trace);
            l.AddProvider(new CapturingProvider(Lines));
        });
    }

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(';', pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {structured} {exception}");
        }
    }
}

public sealed class ObservabilityTests(LoggedMjpkiServer server) : IClassFixture<LoggedMjpkiServer>
{
    [Fact]
    public async Task Logs_FullRunWithGoodAndBadInput_NeverContainSecretsOrPersonalData()
    {
        const string name = "秘密 花子";
        const string address = "北海道札幌市中央区北1条西2丁目";
        var card = await server.IssueCardAsync(name: name, birthDate: "1979-12-24", address: address);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);

        // A wrong password first (the failure path logs too), then the whole flow.
        await server.ToOpeningAsync();
        await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers("WRONG999"), CancellationToken.None));
        var certs = await server.ApplyAndRegisterAsync(app, card);
        Assert.Equal(2, certs.Count);
        using var bad = new StringContent("{\"cms\":\"AAAA\"}", System.Text.Encoding.UTF8, "application/json");
        (await server.Client.PostAsync("/api/v1/applications", bad)).Dispose();

        var secrets = new[]
        {
            // The 4-digit PIN is left out: any hex id in a log line may contain four digits by chance.
            card.Password, "WRONG999", "PHONE2023", name, address, "19791224", "1979-12-24",
            "PRIVATE KEY", phone.App.Values["deviceSecret"],
        };
        var log = string.Join('\n', server.Lines);
        Assert.NotEmpty(server.Lines);
        foreach (var secret in secrets)
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"the logs contain a secret or personal datum ({secret.Length} chars)");
        }
    }

    [Fact]
    public async Task HealthAndReadiness_ServerUp_Answer200Healthy()
    {
        using var live = await server.Client.GetAsync("/healthz");
        using var ready = await server.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_AfterAnIssuance_ExposeApplicationsCertificatesAndLatency()
    {
        var card = await server.IssueCardAsync(name: "計測 次郎");
        await server.ApplyAndRegisterAsync(server.NewApp(server.NewPhone()), card);

        using (var garbage = new ByteArrayContent([0x30, 0x03, 0x02, 0x01]))
        {
            garbage.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/ocsp-request");
            (await server.Client.PostAsync("/ocsp/auth", garbage)).Dispose();
        }

        var text = await server.Client.GetStringAsync("/metrics");
        Assert.Matches("mjpki_ocsp_requests_total\\{[^}]*status=\"MalformedRequest\"[^}]*\\} [1-9]", text);
        Assert.Contains("mjpki_applications_accepted_total", text, StringComparison.Ordinal);
        Assert.Matches("mjpki_certificates_issued_total\\{[^}]*kind=\"PhoneSigning\"[^}]*\\} [1-9]", text);
        Assert.Contains("mjpki_issuance_latency_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("mjpki_queue_depth", text, StringComparison.Ordinal);
        Assert.DoesNotContain("計測", text, StringComparison.Ordinal);
    }
}
