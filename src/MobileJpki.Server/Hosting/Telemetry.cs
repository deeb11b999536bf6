using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Storage;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MobileJpki.Server.Hosting;

/// <summary>OpenTelemetry metrics and traces, and the liveness/readiness endpoints.</summary>
public static class Telemetry
{
    /// <summary>
    /// Metrics are scraped at /metrics (Prometheus text); traces and metrics also go to an OTLP collector
    /// when <c>Telemetry:OtlpEndpoint</c> is set.
    /// </summary>
    public static IServiceCollection AddMobileJpkiTelemetry(this IServiceCollection services, IConfiguration config)
    {
        var otlp = config["Telemetry:OtlpEndpoint"];
        Uri? otlpUri = null;
        if (!string.IsNullOrWhiteSpace(otlp) && !Uri.TryCreate(otlp, UriKind.Absolute, out otlpUri))
        {
            throw new InvalidOperationException("Telemetry:OtlpEndpoint must be an absolute URL.");
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("mobilejpki"))
            .WithMetrics(m =>
            {
                m.AddMeter(RaTelemetry.Name, MobileJpki.Revocation.RevocationTelemetry.Name).AddAspNetCoreInstrumentation().AddPrometheusExporter();
                if (otlpUri is not null)
                {
                    m.AddOtlpExporter(o => o.Endpoint = otlpUri);
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(RaTelemetry.Name).AddAspNetCoreInstrumentation();
                if (otlpUri is not null)
                {
                    t.AddOtlpExporter(o => o.Endpoint = otlpUri);
                }
            });

        services.AddOptions<MonitoringOptions>().Bind(config.GetSection(MonitoringOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MonitoringOptions>, MonitoringOptionsValidator>();
        services.AddSingleton<CaKeyProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<CaKeyProbe>());
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<CaKeysHealthCheck>("ca-keys", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// /healthz: the process is up. /readyz: the database answers and the CA keys signed at the last probe (never a
    /// signature per request). /metrics: Prometheus, only for the callers <see cref="MonitoringOptions"/> allows.
    /// </summary>
    public static void MapMobileJpkiTelemetry(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ExcludeFromDescription();
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: b => b.Use(async (context, next) =>
        {
            var options = context.RequestServices.GetRequiredService<IOptions<MonitoringOptions>>().Value;
            if (!options.Allows(context.Connection.RemoteIpAddress, MobileJpki.Server.Endpoints.Inputs.Bearer(context.Request)))
            {
                throw new MjpkiException(ErrorKind.Unauthorized, "metrics-unauthorized", "The metrics are served only to the monitoring networks or with the monitoring key (Telemetry:MetricsNetworks, Telemetry:MetricsKey).");
            }

            await next(context);
        }), optionsName: null);
    }

    private sealed class DatabaseHealthCheck(IDbContextFactory<MjpkiDbContext> contexts) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                return await db.Database.CanConnectAsync(cancellationToken)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("database unreachable");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The type is enough to act on; messages may carry connection details.
                return HealthCheckResult.Unhealthy("database unreachable: " + ex.GetType().Name);
            }
        }
    }

    /// <summary>Reports the last result of <see cref="CaKeyProbe"/>: a request never makes a CA key sign.</summary>
    private sealed class CaKeysHealthCheck(CaKeyProbe probe) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(probe.Current());
    }
}

/// <summary>
/// Signs a probe with both CA keys and verifies it with their certificates, at start and then every
/// <see cref="MonitoringOptions.ReadinessProbeInterval"/>; /readyz reports the latest result. Anyone may ask /readyz,
/// so asking must cost no signature (an HSM's signing capacity is the service's): the answer is the cached one.
/// </summary>
public sealed class CaKeyProbe(CaHierarchy ca, IOptions<MonitoringOptions> options, ILogger<CaKeyProbe> logger) : BackgroundService
{
    // Freshness is a matter of real time, not of the sandbox clock (which may be moved years ahead).
    private static readonly TimeProvider Time = TimeProvider.System;
    private static readonly byte[] Probe = "mobilejpki readiness probe"u8.ToArray();
    private volatile Outcome? _last;
    private long _probes;

    /// <summary>How many probes have signed so far (each signs once per CA key).</summary>
    public long ProbeCount => Interlocked.Read(ref _probes);

    /// <summary>The last probe's result; unhealthy before the first probe and when the probe has not run for three intervals.</summary>
    public HealthCheckResult Current()
    {
        var last = _last;
        if (last is null)
        {
            return HealthCheckResult.Unhealthy("CA keys not probed yet");
        }

        var interval = options.Value.ReadinessProbeInterval;
        return Time.GetUtcNow() - last.At > 3 * interval
            ? HealthCheckResult.Unhealthy($"CA key probe stale (last at {last.At:O})")
            : last.Result;
    }

    /// <summary>Probes now (the worker's schedule; tests).</summary>
    public HealthCheckResult ProbeNow()
    {
        Interlocked.Increment(ref _probes);
        var result = Sign();
        _last = new Outcome(result, Time.GetUtcNow());
        if (result.Status != HealthStatus.Healthy)
        {
            logger.LogWarning("CA key probe failed: {Reason}", result.Description);
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first probe runs before the host finishes starting, so a node is never ready on an untested key.
        ProbeNow();
        using var timer = new PeriodicTimer(options.Value.ReadinessProbeInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                ProbeNow();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private HealthCheckResult Sign()
    {
        try
        {
            foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
            {
                var signature = ca.SignerFor(hierarchy).SignData(Probe, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var publicKey = ca.CertificateFor(hierarchy).GetRSAPublicKey()!;
                if (!publicKey.VerifyData(Probe, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                {
                    return HealthCheckResult.Unhealthy($"{hierarchy} CA key does not match its certificate");
                }
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("CA key unavailable: " + ex.GetType().Name);
        }
    }

    // A reference, so a reader sees one probe's result and time together.
    private sealed record Outcome(HealthCheckResult Result, DateTimeOffset At);
}

/// <summary>
/// Who may read the monitoring endpoints, and how often the CA keys are probed (<c>Telemetry:*</c>). With neither
/// <see cref="MetricsNetworks"/> nor <see cref="MetricsKey"/> set, /metrics is open (the sandbox default).
/// </summary>
public sealed class MonitoringOptions
{
    /// <summary>The section the options are read from.</summary>
    public const string Section = "Telemetry";

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/8</c>, <c>127.0.0.1/32</c>) whose callers may read /metrics.</summary>
    public List<string> MetricsNetworks { get; set; } = [];

    /// <summary>Bearer key (at least 16 characters) that lets any caller read /metrics.</summary>
    public string MetricsKey { get; set; } = string.Empty;

    /// <summary>How often the CA keys sign a readiness probe. Default 30 seconds; 1 second to 10 minutes.</summary>
    public TimeSpan ReadinessProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when /metrics is restricted at all.</summary>
    public bool MetricsRestricted => MetricsNetworks.Count > 0 || MetricsKey.Length > 0;

    /// <summary>Whether a caller from <paramref name="remote"/> presenting <paramref name="bearer"/> may read /metrics.</summary>
    public bool Allows(IPAddress? remote, string? bearer)
    {
        if (!MetricsRestricted)
        {
            return true;
        }

        if (MetricsKey.Length > 0 && bearer is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(bearer)), SHA256.HashData(Encoding.UTF8.GetBytes(MetricsKey))))
        {
            return true;
        }

        if (remote is null)
        {
            return false;
        }

        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return MetricsNetworks.Any(n => IPNetwork.TryParse(n, out var network) && network.Contains(address));
    }
}

/// <summary>Validates <see cref="MonitoringOptions"/> at start, naming every wrong setting.</summary>
internal sealed class MonitoringOptionsValidator : IValidateOptions<MonitoringOptions>
{
    public ValidateOptionsResult Validate(string? name, MonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        for (var i = 0; i < options.MetricsNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.MetricsNetworks[i], out _))
            {
                errors.Add($"Telemetry:MetricsNetworks:{i} ('{options.MetricsNetworks[i]}') is not a network in CIDR notation such as 10.0.0.0/8.");
            }
        }

        if (options.MetricsKey.Length is > 0 and < 16)
        {
            errors.Add("Telemetry:MetricsKey must be at least 16 characters.");
        }

        if (options.ReadinessProbeInterval < TimeSpan.FromSeconds(1) || options.ReadinessProbeInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add("Telemetry:ReadinessProbeInterval must be between 1 second and 10 minutes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
