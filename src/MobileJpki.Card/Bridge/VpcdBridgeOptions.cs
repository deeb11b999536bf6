namespace MobileJpki.Card.Bridge;

/// <summary>Where vsmartcard's vpcd listens and how the bridge behaves; defaults match Debian's vsmartcard-vpcd.</summary>
public sealed class VpcdBridgeOptions
{
    /// <summary>The port in Debian's <c>/etc/reader.conf.d/vpcd</c> (<c>CHANNELID 0x8C7B</c>), reader "Virtual PCD 00 00".</summary>
    public const int DefaultPort = 35963;

    /// <summary>Host of the pcscd running vpcd. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port vpcd listens on. Default <see cref="DefaultPort"/>.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>First wait before reconnecting after a failure; doubles up to <see cref="MaxRetryDelay"/>. Default 250 ms.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between reconnection attempts. Default 5 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sets TCP_NODELAY and re-arms TCP_QUICKACK before every read. Default true. vpcd writes the length and
    /// the payload of a frame separately; without this the second write waits for our delayed ACK (~40 ms).
    /// Turned off only to measure the difference (docs/benchmarks.md).
    /// </summary>
    public bool LowLatency { get; set; } = true;

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("The vpcd host is empty.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"The vpcd port {Port} is not between 1 and 65535.", nameof(Port));
        }

        if (MinRetryDelay <= TimeSpan.Zero || MaxRetryDelay < MinRetryDelay)
        {
            throw new ArgumentException("Retry delays must be positive with MinRetryDelay <= MaxRetryDelay.", nameof(MinRetryDelay));
        }
    }
}
