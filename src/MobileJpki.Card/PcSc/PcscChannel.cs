using System.Text;

namespace MobileJpki.Card.PcSc;

/// <summary>A PC/SC failure with the operator's next step in the message; an <see cref="IOException"/>, so CLIs show one line.</summary>
public sealed class PcscException(uint code, string message) : IOException(message)
{
    /// <summary>The PC/SC return code (e.g. 0x8010001D SCARD_E_NO_SERVICE), or 0 when the library itself is missing.</summary>
    public uint Code { get; } = code;

    /// <summary>Whether waiting could help: pcscd starting, or a card not yet in the reader.</summary>
    public bool IsTransient => Code is PcscNative.NoService or PcscNative.ServiceStopped or PcscNative.NoReadersAvailable
        or PcscNative.NoSmartcard or PcscNative.RemovedCard or PcscNative.UnpoweredCard or PcscNative.UnresponsiveCard
        or PcscNative.ReaderUnavailable or PcscNative.SharingViolation or PcscNative.Timeout;
}

/// <summary>
/// A card in a PC/SC reader (a real one, or the virtual card through <see cref="Bridge.VpcdBridge"/>) as an
/// <see cref="IApduChannel"/>, over pcsc-lite's <c>libpcsclite.so.1</c>. Shared mode, T=1 or T=0;
/// the card is reset on dispose so no verified PIN outlives this process.
/// </summary>
public sealed class PcscChannel : IApduChannel, IDisposable
{
    private const int ReceiveBufferLength = 65536 + 2;

    private readonly Lock sync = new();
    private readonly byte[] receive = new byte[ReceiveBufferLength];
    private nint context;
    private nint card;
    private readonly PcscNative.IoRequest sendPci;

    private PcscChannel(nint context, nint card, nuint protocol, string reader)
    {
        this.context = context;
        this.card = card;
        sendPci = new PcscNative.IoRequest { Protocol = protocol, PciLength = (nuint)System.Runtime.InteropServices.Marshal.SizeOf<PcscNative.IoRequest>() };
        Reader = reader;
    }

    /// <summary>The reader's full name, e.g. "Virtual PCD 00 00".</summary>
    public string Reader { get; }

    /// <summary>"T=1" or "T=0".</summary>
    public string Protocol => sendPci.Protocol == PcscNative.ProtocolT1 ? "T=1" : "T=0";

    /// <summary>The readers pcscd knows, in its order.</summary>
    /// <exception cref="PcscException">pcscd is not running or the library is missing.</exception>
    public static IReadOnlyList<string> ListReaders()
    {
        var context = Establish();
        try
        {
            return ListReaders(context);
        }
        finally
        {
            _ = PcscNative.ReleaseContext(context);
        }
    }

    /// <summary>
    /// Connects to the card in the reader named <paramref name="reader"/> (an exact name, or a prefix of one such
    /// as "Virtual PCD"; empty means the first reader with a card). Transient failures — pcscd not yet up, the card
    /// not yet in the reader — are retried every 250 ms for up to <paramref name="wait"/>.
    /// </summary>
    /// <exception cref="PcscException">Still failing after <paramref name="wait"/>; the message says what to do.</exception>
    public static PcscChannel Connect(string reader, TimeSpan wait, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var time = timeProvider ?? TimeProvider.System;
        var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            try
            {
                return TryConnect(reader);
            }
            catch (PcscException e) when (e.IsTransient && time.GetTimestamp() < deadline)
            {
                // The same clock as the deadline, so a test clock drives both.
                Task.Delay(TimeSpan.FromMilliseconds(250), time).GetAwaiter().GetResult();
            }
        }
    }

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(card == 0, this);
            var response = TransmitOnce(command.ToArray());

            // T=0 leaves case-4 data behind 61xx (GET RESPONSE) or asks for the right Le with 6Cxx.
            if (response.Length == 2 && response[0] == 0x6C && command.Length >= 5)
            {
                var again = command.ToArray();
                again[^1] = response[1];
                response = TransmitOnce(again);
            }

            var collected = new List<byte>();
            while (response.Length >= 2 && response[^2] == 0x61)
            {
                collected.AddRange(response.AsSpan(0, response.Length - 2));
                response = TransmitOnce([command[0], 0xC0, 0x00, 0x00, response[^1]]);
            }

            if (collected.Count == 0)
            {
                return response;
            }

            collected.AddRange(response);
            return [.. collected];
        }
    }

    public void Dispose()
    {
        lock (sync)
        {
            if (card != 0)
            {
                _ = PcscNative.Disconnect(card, PcscNative.ResetCard);
                card = 0;
            }

            if (context != 0)
            {
                _ = PcscNative.ReleaseContext(context);
                context = 0;
            }
        }
    }

    private byte[] TransmitOnce(byte[] command)
    {
        nuint length = (nuint)receive.Length;
        var rc = PcscNative.Code(PcscNative.Transmit(card, in sendPci, command, (nuint)command.Length, 0, receive, ref length));
        if (rc != PcscNative.Success)
        {
            throw Fail(rc, $"the card in '{Reader}' did not answer");
        }

        return receive.AsSpan(0, (int)length).ToArray();
    }

    private static PcscChannel TryConnect(string wanted)
    {
        var context = Establish();
        try
        {
            var readers = ListReaders(context);
            var candidates = wanted.Length == 0
                ? readers
                : [.. readers.Where(r => r == wanted), .. readers.Where(r => r != wanted && r.StartsWith(wanted, StringComparison.Ordinal))];
            if (candidates.Count == 0)
            {
                throw new PcscException(PcscNative.UnknownReader,
                    $"no PC/SC reader named '{wanted}'; readers: {(readers.Count == 0 ? "none" : string.Join(", ", readers.Select(r => $"'{r}'")))}");
            }

            PcscException? last = null;
            foreach (var name in candidates)
            {
                var rc = PcscNative.Code(PcscNative.Connect(context, NulTerminated(name), PcscNative.ShareShared,
                    PcscNative.ProtocolT1 | PcscNative.ProtocolT0, out var card, out var protocol));
                if (rc == PcscNative.Success)
                {
                    return new PcscChannel(context, card, protocol, name);
                }

                last = Fail(rc, $"cannot connect to the card in '{name}'");
            }

            throw last!;
        }
        catch
        {
            _ = PcscNative.ReleaseContext(context);
            throw;
        }
    }

    private static nint Establish()
    {
        uint rc;
        nint context;
        try
        {
            rc = PcscNative.Code(PcscNative.EstablishContext(PcscNative.ScopeSystem, 0, 0, out context));
        }
        catch (DllNotFoundException)
        {
            throw new PcscException(0, $"{PcscNative.Library} is not installed (Debian: apt-get install libpcsclite1 pcscd)");
        }

        return rc == PcscNative.Success ? context : throw Fail(rc, "cannot reach the PC/SC service");
    }

    private static List<string> ListReaders(nint context)
    {
        nuint length = 0;
        var rc = PcscNative.Code(PcscNative.ListReaders(context, 0, null, ref length));
        if (rc == PcscNative.NoReadersAvailable)
        {
            return [];
        }

        if (rc != PcscNative.Success)
        {
            throw Fail(rc, "cannot list the PC/SC readers");
        }

        var buffer = new byte[(int)length];
        rc = PcscNative.Code(PcscNative.ListReaders(context, 0, buffer, ref length));
        if (rc != PcscNative.Success)
        {
            throw Fail(rc, "cannot list the PC/SC readers");
        }

        return [.. Encoding.UTF8.GetString(buffer, 0, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static byte[] NulTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static PcscException Fail(uint rc, string what) => new(rc, rc switch
    {
        PcscNative.NoService or PcscNative.ServiceStopped =>
            $"{what}: pcscd is not running (SCARD_E_NO_SERVICE); start it (`pcscd`, or `systemctl start pcscd.socket`) and try again",
        PcscNative.NoReadersAvailable => $"{what}: pcscd has no readers; plug one in, or install vsmartcard-vpcd and run `mjpki card serve`",
        PcscNative.NoSmartcard or PcscNative.RemovedCard =>
            $"{what}: no card in the reader; insert one, or start `mjpki card serve --card FILE` for the virtual card",
        PcscNative.UnknownReader => $"{what}: no such reader",
        PcscNative.SharingViolation => $"{what}: another program holds the card exclusively",
        PcscNative.UnresponsiveCard or PcscNative.UnpoweredCard or PcscNative.UnsupportedCard => $"{what}: the card does not respond",
        PcscNative.ResetCardWarning => $"{what}: the card was reset by another program; try again",
        _ => $"{what}: PC/SC error 0x{rc:X8}",
    });
}
