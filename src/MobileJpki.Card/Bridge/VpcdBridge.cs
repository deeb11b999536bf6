using System.Net.Sockets;

namespace MobileJpki.Card.Bridge;

/// <summary>What happened on the bridge's connection to vpcd.</summary>
public enum VpcdBridgeEventKind
{
    /// <summary>Connected: pcscd now sees the card in reader "Virtual PCD 00 00".</summary>
    Connected,

    /// <summary>The connection ended (pcscd stopped or restarted, or a frame broke the protocol); the bridge reconnects.</summary>
    Disconnected,

    /// <summary>vpcd could not be reached (pcscd not running, or without vsmartcard-vpcd); the bridge retries.</summary>
    Unreachable,
}

/// <summary>One line for the operator, e.g. "connected to vpcd at 127.0.0.1:35963".</summary>
public sealed record VpcdBridgeEvent(VpcdBridgeEventKind Kind, string Message);

/// <summary>
/// Presents a <see cref="JpkiApplet"/> to pcscd through vsmartcard's virtual reader (vpcd), so that PC/SC
/// middleware such as OpenSC talks to the virtual card as to a real one (docs/card.md).
/// </summary>
/// <remarks>
/// The vpcd protocol: the card side is the TCP client; every message either way is a 2-byte big-endian length
/// and a payload. A 1-byte payload from vpcd is a control code (00 power off, 01 power on, 02 reset, 04 get
/// ATR — only 04 is answered, with the ATR); anything longer is a command APDU, answered with data + SW1 SW2.
/// A zero-length frame or a connection closed mid-frame drops the connection; the bridge then reconnects
/// with a doubling back-off, as it does when pcscd restarts. Nothing a peer sends makes it throw.
/// </remarks>
public sealed class VpcdBridge
{
    /// <summary>The largest payload the 2-byte length can announce; the bridge's read buffer is this big.</summary>
    public const int MaxFrameLength = ushort.MaxValue;

    private const byte CtrlPowerOff = 0x00;
    private const byte CtrlPowerOn = 0x01;
    private const byte CtrlReset = 0x02;
    private const byte CtrlGetAtr = 0x04;

    // IPPROTO_TCP / TCP_QUICKACK from <netinet/tcp.h> (Linux only).
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] One = BitConverter.GetBytes(1);

    private readonly JpkiApplet applet;
    private readonly VpcdBridgeOptions options;
    private readonly Action<VpcdBridgeEvent>? onEvent;
    private readonly TimeProvider time;
    private readonly byte[] atr;
    private int sessions;

    public VpcdBridge(JpkiApplet applet, VpcdBridgeOptions options, Action<VpcdBridgeEvent>? onEvent = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(applet);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.applet = applet;
        this.options = options;
        this.onEvent = onEvent;
        time = timeProvider ?? TimeProvider.System;
        atr = JpkiFiles.CardAtr.ToArray();
    }

    /// <summary>How many connections to vpcd have been made so far.</summary>
    public int Sessions => Volatile.Read(ref sessions);

    /// <summary>Connects, serves and reconnects until <paramref name="ct"/> is cancelled; then returns normally.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var delay = options.MinRetryDelay;
        var endpoint = $"{options.Host}:{options.Port}";
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
                {
                    try
                    {
                        await socket.ConnectAsync(options.Host, options.Port, ct);
                    }
                    catch (SocketException e)
                    {
                        Report(VpcdBridgeEventKind.Unreachable,
                            $"cannot reach vpcd at {endpoint} ({e.SocketErrorCode}): is pcscd running with vsmartcard-vpcd? retrying in {Seconds(delay)}");
                        await Task.Delay(delay, time, ct);
                        delay = Next(delay);
                        continue;
                    }

                    if (options.LowLatency)
                    {
                        socket.NoDelay = true;
                    }

                    Interlocked.Increment(ref sessions);
                    Report(VpcdBridgeEventKind.Connected, $"connected to vpcd at {endpoint}; the card is in the reader");
                    var (reason, served) = await ServeAsync(socket, ct);

                    // The card left the reader: whatever was verified is gone, as on a real card.
                    applet.PowerOff();
                    if (served)
                    {
                        delay = options.MinRetryDelay;
                    }

                    Report(VpcdBridgeEventKind.Disconnected, $"vpcd connection ended ({reason}); reconnecting in {Seconds(delay)}");
                }

                await Task.Delay(delay, time, ct);
                delay = Next(delay);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }
    }

    /// <summary>Serves one connection; returns why it ended and whether at least one frame was handled.</summary>
    private async Task<(string Reason, bool Served)> ServeAsync(Socket socket, CancellationToken ct)
    {
        var header = new byte[2];
        var payload = new byte[MaxFrameLength];
        var served = false;
        try
        {
            while (true)
            {
                if (!await ReadExactlyAsync(socket, header, ct))
                {
                    return ("closed by vpcd", served);
                }

                var length = (header[0] << 8) | header[1];
                if (length == 0)
                {
                    return ("an empty frame is not part of the protocol; dropped the connection", served);
                }

                if (!await ReadExactlyAsync(socket, payload.AsMemory(0, length), ct))
                {
                    return ("closed in the middle of a frame", served);
                }

                var reply = length == 1 ? Control(payload[0]) : Apdu(payload.AsSpan(0, length));
                if (reply is not null)
                {
                    await SendFrameAsync(socket, reply, ct);
                }

                served = true;
            }
        }
        catch (SocketException e)
        {
            return ($"socket error {e.SocketErrorCode}", served);
        }
        catch (ObjectDisposedException)
        {
            return ("socket closed", served);
        }
    }

    private byte[]? Control(byte code)
    {
        switch (code)
        {
            case CtrlPowerOff:
                applet.PowerOff();
                return null;
            case CtrlPowerOn:
            case CtrlReset:
                applet.Reset();
                return null;
            case CtrlGetAtr:
                return atr;
            default:
                // Unknown codes are ignored (and unanswered), like vpcd's own virtual cards do.
                return null;
        }
    }

    private byte[] Apdu(ReadOnlySpan<byte> command)
    {
        byte[] response;
        try
        {
            response = applet.Transmit(command);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            // E.g. the card file could not be saved: a card answers "no precise diagnosis", it does not vanish.
            return [0x6F, 0x00];
        }

        return response.Length <= MaxFrameLength ? response : [0x67, 0x00];
    }

    private async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            QuickAck(socket);
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
            if (n == 0)
            {
                return false;
            }

            QuickAck(socket);

            read += n;
        }

        return true;
    }

    /// <summary>
    /// Quick-ACK mode lapses (Linux leaves it whenever the exchange looks interactive); re-arming it around every
    /// read ACKs vpcd's 2-byte length at once, so its Nagle-held payload write does not wait ~40 ms for a delayed ACK.
    /// </summary>
    private void QuickAck(Socket socket)
    {
        if (options.LowLatency && OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, One);
        }
    }

    private static async Task SendFrameAsync(Socket socket, byte[] payload, CancellationToken ct)
    {
        // Length and payload in one write: one segment, nothing for Nagle to hold back.
        var frame = new byte[2 + payload.Length];
        frame[0] = (byte)(payload.Length >> 8);
        frame[1] = (byte)payload.Length;
        payload.CopyTo(frame, 2);
        var sent = 0;
        while (sent < frame.Length)
        {
            sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, ct);
        }
    }

    private TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.##} s";

    private void Report(VpcdBridgeEventKind kind, string message) => onEvent?.Invoke(new VpcdBridgeEvent(kind, message));
}
