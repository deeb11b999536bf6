namespace MobileJpki.Server.Hosting;

/// <summary>
/// The service's clock: the system clock plus an offset that only the sandbox admin endpoint moves.
/// Timers and delays still run in real time; only "now" shifts.
/// </summary>
public sealed class SandboxClock(TimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    public event EventHandler? Changed;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    public void Advance(TimeSpan by) => Adopt(OffsetAfter(by));

    public void Set(DateTimeOffset instant) => Adopt(OffsetAt(instant));

    /// <summary>The offset after moving forward by <paramref name="by"/>, without moving yet.</summary>
    public TimeSpan OffsetAfter(TimeSpan by) => by < TimeSpan.Zero
        ? throw new ArgumentOutOfRangeException(nameof(by), "The sandbox clock only moves forward.")
        : Offset + by;

    /// <summary>The offset at which "now" is <paramref name="instant"/>, without moving yet.</summary>
    public TimeSpan OffsetAt(DateTimeOffset instant)
    {
        var delta = instant - GetUtcNow();
        return delta < TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(instant), "The sandbox clock only moves forward.")
            : Offset + delta;
    }

    /// <summary>
    /// Moves to <paramref name="offset"/> if it is ahead (a stored offset at start, or another node's move); an offset
    /// behind the current one is ignored, so "now" never goes back. Returns whether the clock moved.
    /// </summary>
    public bool Adopt(TimeSpan offset)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _offsetTicks);
            if (offset.Ticks <= current)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _offsetTicks, offset.Ticks, current) == current)
            {
                Changed?.Invoke(this, EventArgs.Empty);
                return true;
            }
        }
    }
}

/// <summary>
/// Keeps the sandbox clock in the database (docs/operations.md, "Sandbox clock"): a move is stored before it takes
/// effect, a starting node restores it, and running nodes pick up each other's moves, so after a restart "now" never
/// goes back (an abandoned certificate is never revoked before it was issued) and all nodes agree on the window.
/// </summary>
public sealed class SandboxClockSync(SandboxClock clock, MobileJpki.Storage.SandboxClockStore store)
{
    public async Task RestoreAsync(CancellationToken ct) => clock.Adopt(await store.ReadAsync(ct));

    /// <summary>Stores <paramref name="offset"/> (or a larger one another node stored) and moves the clock there.</summary>
    public async Task MoveToAsync(TimeSpan offset, CancellationToken ct) => clock.Adopt(await store.AdvanceToAsync(offset, ct));
}
