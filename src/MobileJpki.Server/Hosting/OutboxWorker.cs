using MobileJpki.Notifications;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Delivers the outbox (e-mail, Web Push): every poll interval, when poked, or when the sandbox clock moves,
/// every due message is attempted. Failed ones wait their backoff (by the service's clock).
/// </summary>
public sealed partial class OutboxWorker(OutboxDispatcher dispatcher, NotificationOptions options, SandboxClock clock, ILogger<OutboxWorker> logger) : BackgroundService
{
    private readonly WakeSignal _wake = new();

    /// <summary>Ask the worker to look at the outbox now.</summary>
    public void Poke() => _wake.Poke();

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

            await _wake.WaitAsync(options.Outbox.PollInterval, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox round failed: {Error}; retrying")]
    private static partial void LogFailed(ILogger logger, string error);
}
