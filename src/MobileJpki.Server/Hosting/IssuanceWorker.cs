using Microsoft.Extensions.Options;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Runs the issuance queue: whenever an application is accepted, the clock moves, or a poll interval
/// passes, every due application is issued. Beside it runs the lease loop (docs/issuance-cycle.md, "Recovery"): it
/// renews this node's claims while it works and takes back claims whose lease ran out, so neither a failed batch nor
/// a dead node leaves applications in Processing until a restart.
/// </summary>
public sealed partial class IssuanceWorker(IServiceProvider services, SandboxClock clock, ILogger<IssuanceWorker> logger) : BackgroundService
{
    private readonly WakeSignal _wake = new();

    /// <summary>Ask the worker to look at the queue now.</summary>
    public void Poke() => _wake.Poke();

    /// <summary>How often the lease loop runs: a third of the lease (renewals land well before it ends), at most 30 s.</summary>
    public static TimeSpan LeaseInterval(TimeSpan lease) => TimeSpan.FromTicks(Math.Min(lease.Ticks / 3, TimeSpan.FromSeconds(30).Ticks));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        clock.Changed += (_, _) => Poke();
        var ra = services.GetRequiredService<RegistrationAuthority>();
        var store = services.GetRequiredService<IRaStore>();
        var requeued = await store.RequeueInterruptedAsync(stoppingToken);
        if (requeued > 0)
        {
            LogRequeued(logger, requeued);
        }

        var leases = Task.Run(() => RunLeasesAsync(ra, store, services.GetRequiredService<StorageNode>().ClaimLease, stoppingToken), CancellationToken.None);
        var sandbox = services.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled ? services.GetRequiredService<SandboxClockSync>() : null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (sandbox is not null)
                {
                    // Another node may have moved the shared sandbox clock (into the window, say).
                    await sandbox.RestoreAsync(stoppingToken);
                }

                await ra.ProcessDueAsync(stoppingToken);
                RaTelemetry.QueueDepth(await store.CountQueuedAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex.GetType().Name);
            }

            // Due times are minute-grained; a real-time poll of one second bounds the latency of an application
            // that becomes due while nobody pokes.
            await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
        }

        await leases;
    }

    private async Task RunLeasesAsync(RegistrationAuthority ra, IClaimLeases store, TimeSpan lease, CancellationToken stoppingToken)
    {
        var interval = LeaseInterval(lease);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);

                // Renew first: this node's own batch in progress must never look expired to the step below.
                await ra.RenewClaimsAsync(stoppingToken);
                var taken = await store.RequeueExpiredClaimsAsync(stoppingToken);
                if (taken > 0)
                {
                    LogTakenOver(logger, taken);
                    Poke();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLeaseFailed(logger, ex.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requeued {Count} applications interrupted by a restart")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took back {Count} applications whose claim lease ran out (their node died or failed)")]
    private static partial void LogTakenOver(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Issuance round failed: {Error}; retrying")]
    private static partial void LogFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Claim lease round failed: {Error}; retrying")]
    private static partial void LogLeaseFailed(ILogger logger, string error);
}
