namespace MobileJpki.Server.Hosting;

/// <summary>
/// A coalescing wake-up for a background loop: any number of pokes before the loop next waits wake it once, and
/// the wait also ends after a timeout so work that became due without a poke is still picked up.
/// </summary>
public sealed class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Poke()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already poked; one wake-up covers every pending reason.
        }
    }

    /// <summary>Waits for a poke or the timeout; cancellation ends the wait without throwing (the loop checks it).</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) =>
        _signal.WaitAsync(timeout, ct).ContinueWith(_ => { }, TaskScheduler.Default);
}
