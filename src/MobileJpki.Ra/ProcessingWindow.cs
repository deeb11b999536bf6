namespace MobileJpki.Ra;

/// <summary>Options of the daily issuance window (times are Japan Standard Time).</summary>
public sealed class ProcessingWindowOptions
{
    /// <summary>Applications accepted from this time on are processed at once. Default 08:00.</summary>
    public TimeOnly Opening { get; set; } = new(8, 0);

    /// <summary>Applications accepted at or after this time wait for the next opening. Default 19:30.</summary>
    public TimeOnly Cutoff { get; set; } = new(19, 30);

    public void Validate()
    {
        if (Opening >= Cutoff)
        {
            throw new InvalidOperationException($"Ra:Window: Opening ({Opening}) must be before Cutoff ({Cutoff}).");
        }
    }
}

/// <summary>
/// The seed's rule: an application accepted after 19:30 is processed the next day. Japan has no daylight
/// saving time, so a fixed +09:00 offset is exact.
/// </summary>
public sealed class ProcessingWindow(ProcessingWindowOptions options)
{
    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public TimeOnly Opening => options.Opening;

    public TimeOnly Cutoff => options.Cutoff;

    public bool IsOpen(DateTimeOffset instant)
    {
        var local = TimeOnly.FromTimeSpan(instant.ToOffset(Jst).TimeOfDay);
        return local >= options.Opening && local < options.Cutoff;
    }

    /// <summary>When an application accepted at <paramref name="acceptedAt"/> becomes due.</summary>
    public DateTimeOffset ProcessAfter(DateTimeOffset acceptedAt) =>
        IsOpen(acceptedAt) ? acceptedAt : NextOpening(acceptedAt);

    /// <summary>The first opening strictly after <paramref name="instant"/>.</summary>
    public DateTimeOffset NextOpening(DateTimeOffset instant)
    {
        var local = instant.ToOffset(Jst);
        var todayOpening = new DateTimeOffset(DateOnly.FromDateTime(local.DateTime).ToDateTime(options.Opening), Jst);
        return todayOpening > instant ? todayOpening : todayOpening.AddDays(1);
    }
}
