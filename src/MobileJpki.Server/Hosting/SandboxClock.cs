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

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "The sandbox clock only moves forward.");
        }

        Interlocked.Add(ref _offsetTicks, by.Ticks);
        Changed?.Invoke(this, EventArgs.Empty);
    }

    public void Set(DateTimeOffset instant)
    {
        var delta = instant - GetUtcNow();
        if (delta < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), "The sandbox clock only moves forward.");
        }

        Advance(delta);
    }
}
