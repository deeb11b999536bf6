using MobileJpki.Revocation;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Each node's OCSP background work (docs/revocation.md, "Pre-signed responses"): every OcspPollInterval, sign what
/// is due (new certificates, stale rows, rows near nextUpdate), then bring this node's replica up to date with rows
/// any node wrote. The first replica load happens before the host starts serving.
/// </summary>
internal sealed partial class RevocationWorker(
    OcspRefresher refresher,
    OcspReplica replica,
    IOcspResponseStore store,
    RevocationOptions options,
    ILogger<RevocationWorker> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await replica.PollAsync(store, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The database may be down at start; requests are signed live (or get tryLater) until it is back.
            LogPollFailed(logger, e.GetType().Name);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.OcspPollInterval);
        do
        {
            try
            {
                var result = await refresher.RunOnceAsync(stoppingToken);
                if (result.Failed > 0)
                {
                    LogSigningFailed(logger, result.Failed, result.LastError?.GetType().Name ?? "?");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRefreshFailed(logger, e.GetType().Name);
            }

            try
            {
                await replica.PollAsync(store, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPollFailed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OCSP refresher could not sign {Count} responses ({Error}); the last valid responses are served until their nextUpdate")]
    private static partial void LogSigningFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OCSP refresher pass failed ({Error}); retrying")]
    private static partial void LogRefreshFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OCSP replica poll failed ({Error}); serving what is held")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
