using MobileJpki.Notifications;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Delivers the outbox (e-mail, Web Push): every poll interval, when poked, or when the sandbox clock moves,
/// every due message is attempted. Failed ones wait their backoff (by the service's clock).
/// </summary>
public sealed partial class OutboxWorker(OutboxDispatcher dispatcher, NotificationOptions options, SandboxClock clock, ILogger<OutboxWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Ask the worker to look at the outbox now.</summary>
    public void Poke()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already poked.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        clock.Changed += (_, _) => Poke();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await dispatcher.DeliverDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database may be briefly unavailable; the messages stay in the outbox.
                LogFailed(logger, ex.GetType().Name);
            }

            await _signal.WaitAsync(options.Outbox.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox round failed: {Error}; retrying")]
    private static partial void LogFailed(ILogger logger, string error);
}
