using MobileJpki.Ra;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Runs the issuance queue: whenever an application is accepted, the clock moves, or a poll interval
/// passes, every due application is issued.
/// </summary>
public sealed partial class IssuanceWorker(IServiceProvider services, SandboxClock clock, ILogger<IssuanceWorker> logger) : BackgroundService
{
    private readonly WakeSignal _wake = new();

    /// <summary>Ask the worker to look at the queue now.</summary>
    public void Poke() => _wake.Poke();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        clock.Changed += (_, _) => Poke();
        var ra = services.GetRequiredService<RegistrationAuthority>();
        var requeued = await services.GetRequiredService<IRaStore>().RequeueInterruptedAsync(stoppingToken);
        if (requeued > 0)
        {
            LogRequeued(logger, requeued);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ra.ProcessDueAsync(stoppingToken);
                RaTelemetry.QueueDepth(await services.GetRequiredService<IRaStore>().CountQueuedAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex.GetType().Name);
            }

            // Due times are minute-grained; a real-time poll of one second bounds the latency of an application
            // that becomes due while nobody pokes.
            await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requeued {Count} applications interrupted by a restart")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Issuance round failed: {Error}; retrying")]
    private static partial void LogFailed(ILogger logger, string error);
}
