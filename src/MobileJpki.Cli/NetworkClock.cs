using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary>The phone's clock as the network sets it: this machine's clock moved by the server's offset.</summary>
internal sealed class NetworkClock(TimeProvider local, TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => local.GetUtcNow() + offset;

    /// <summary>
    /// Reads the server's time once. A server that cannot be reached leaves the local clock as it is: the command then
    /// fails, or works offline, exactly as it would have.
    /// </summary>
    public static async Task<TimeProvider> FromServerAsync(ServerApi api, TimeProvider local, CancellationToken ct)
    {
        try
        {
            var before = local.GetUtcNow();
            var server = await api.GetServerTimeAsync(ct);
            return new NetworkClock(local, server - before);
        }
        catch (Exception ex) when (ex is HttpRequestException or AppException or TaskCanceledException)
        {
            return local;
        }
    }
}
