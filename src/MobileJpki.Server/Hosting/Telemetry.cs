using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<CaKeysHealthCheck>("ca-keys", tags: ["ready"]);
        return services;
    }

    /// <summary>/healthz: the process is up. /readyz: the database answers and both CA keys sign. /metrics: Prometheus.</summary>
    public static void MapMobileJpkiTelemetry(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ExcludeFromDescription();
        app.MapPrometheusScrapingEndpoint("/metrics");
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

    private sealed class CaKeysHealthCheck(CaHierarchy ca) : IHealthCheck
    {
        private static readonly byte[] Probe = "mobilejpki readiness probe"u8.ToArray();

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
                {
                    var signature = ca.SignerFor(hierarchy).SignData(Probe, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    using var publicKey = ca.CertificateFor(hierarchy).GetRSAPublicKey()!;
                    if (!publicKey.VerifyData(Probe, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                    {
                        return Task.FromResult(HealthCheckResult.Unhealthy($"{hierarchy} CA key does not match its certificate"));
                    }
                }

                return Task.FromResult(HealthCheckResult.Healthy());
            }
            catch (Exception ex)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("CA key unavailable: " + ex.GetType().Name));
            }
        }
    }
}
