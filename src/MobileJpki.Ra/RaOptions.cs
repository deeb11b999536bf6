namespace MobileJpki.Ra;

/// <summary>Registration authority policy knobs.</summary>
public sealed class RaOptions
{
    /// <summary>How far an application's createdAt may be from the server's clock. Default 10 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Applications issued per worker batch (a few database round trips per batch). Default 256.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Phone models offered the service (ids from MobileJpki.Device's list).</summary>
    public ISet<string> SupportedModels { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    public ProcessingWindowOptions Window { get; set; } = new();

    public void Validate()
    {
        Window.Validate();
        if (BatchSize is < 1 or > 1000)
        {
            throw new InvalidOperationException("Ra:BatchSize must be between 1 and 1000.");
        }

        if (MaxClockSkew <= TimeSpan.Zero || MaxClockSkew > TimeSpan.FromDays(1))
        {
            throw new InvalidOperationException("Ra:MaxClockSkew must be positive and at most one day.");
        }
    }
}
