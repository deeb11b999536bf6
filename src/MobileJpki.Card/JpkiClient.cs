using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MobileJpki.Card;

/// <summary>Whether a PIN is verified, how many tries remain and whether it is blocked.</summary>
public sealed record PinStatus(bool Verified, int TriesLeft, bool Locked);

/// <summary>A card or SE answered with a status word the operation cannot continue from.</summary>
public sealed class JpkiCardException : Exception
{
    public JpkiCardException(ushort sw, string message)
        : base($"{message} (SW {sw:X4})")
    {
        Sw = sw;
    }

    public ushort Sw { get; }
}

/// <summary>Host-side JPKI middleware: the APDU sequences real readers send, over any <see cref="IApduChannel"/>.</summary>
public sealed class JpkiClient
{
    /// <summary>READ BINARY offsets are 15 bits; no JPKI EF comes close.</summary>
    public const int MaxFileLength = 0x7FFF;

    private const int ChunkLength = 256;
    private readonly IApduChannel channel;
    private bool apSelected;

    public JpkiClient(IApduChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        this.channel = channel;
    }

    public IApduChannel Channel => channel;

    /// <summary>Sends one command and parses the answer, without interpreting the status word.</summary>
    public ResponseApdu Send(CommandApdu command) => ResponseApdu.Parse(channel.Transmit(command.ToBytes()));

    /// <summary>SELECT the JPKI-AP; this also drops every PIN verification on the card.</summary>
    public void SelectAp()
    {
        Expect(Send(new CommandApdu(0x00, 0xA4, 0x04, 0x0C, JpkiFiles.Aid.ToArray(), null)), "SELECT JPKI-AP failed");
        apSelected = true;
    }

    public string ReadTokenLabel() => Encoding.ASCII.GetString(ReadFile(JpkiFiles.TokenInfo)).TrimEnd(' ', '\0');

    /// <summary>Reads a transparent EF in 256-byte chunks; a DER file's length comes from its header.</summary>
    public byte[] ReadFile(ushort fid)
    {
        SelectEf(fid);
        var content = new List<byte>();
        int? total = null;
        while (content.Count < (total ?? MaxFileLength))
        {
            var want = Math.Min(ChunkLength, (total ?? MaxFileLength) - content.Count);
            var offset = content.Count;
            var response = Send(new CommandApdu(0x00, 0xB0, (byte)(offset >> 8), (byte)offset, ReadOnlyMemory<byte>.Empty, want));
            if (response.Sw == StatusWords.WrongP1P2 && total is null && offset > 0)
            {
                break; // Non-DER file whose length is a multiple of the chunk size.
            }

            Expect(response, $"READ BINARY of EF {fid:X4} at offset {offset} failed");
            content.AddRange(response.Data);
            if (offset == 0)
            {
                total = DerLength(response.Data);
            }

            if (response.Data.Length < want)
            {
                break;
            }
        }

        if (total is int t && content.Count < t)
        {
            throw new JpkiCardException(StatusWords.Success, $"EF {fid:X4} ended after {content.Count} of {t} bytes");
        }

        return [.. content];
    }

    public X509Certificate2 ReadCertificate(ushort fid) => X509CertificateLoader.LoadCertificate(ReadFile(fid));

    /// <summary>VERIFY without data: asks for the counter without spending a try.</summary>
    public PinStatus GetPinStatus(PinKind kind)
    {
        SelectEf(JpkiFiles.PinFid(kind));
        var response = Send(new CommandApdu(0x00, 0x20, 0x00, 0x80, ReadOnlyMemory<byte>.Empty, null));
        return ToPinStatus(kind, response, "PIN status query failed");
    }

    /// <summary>Verifies a PIN after normalizing it (a signing password is uppercased).</summary>
    /// <exception cref="ArgumentException">The PIN breaks the policy; no try is spent on it.</exception>
    public PinStatus Verify(PinKind kind, string pin)
    {
        var wire = Normalize(kind, pin);
        SelectEf(JpkiFiles.PinFid(kind));
        var response = Send(new CommandApdu(0x00, 0x20, 0x00, 0x80, Encoding.ASCII.GetBytes(wire), null));
        return ToPinStatus(kind, response, "VERIFY failed");
    }

    /// <summary>CHANGE REFERENCE DATA; the PIN must have been verified in this session.</summary>
    public void ChangePin(PinKind kind, string newPin)
    {
        var wire = Normalize(kind, newPin);
        SelectEf(JpkiFiles.PinFid(kind));
        Expect(Send(new CommandApdu(0x00, 0x24, 0x01, 0x80, Encoding.ASCII.GetBytes(wire), null)), "CHANGE REFERENCE DATA failed");
    }

    /// <summary>COMPUTE DIGITAL SIGNATURE with the key of <paramref name="kind"/>; its PIN must be verified.</summary>
    public byte[] SignDigestInfo(PinKind kind, byte[] digestInfo)
    {
        ArgumentNullException.ThrowIfNull(digestInfo);
        SelectEf(JpkiFiles.KeyFid(kind));
        var response = Send(new CommandApdu(0x80, 0x2A, 0x00, 0x80, digestInfo, CommandApdu.MaxShortNe));
        Expect(response, "COMPUTE DIGITAL SIGNATURE failed");
        return response.Data;
    }

    private static string Normalize(PinKind kind, string pin) =>
        PasswordPolicy.TryNormalize(kind, pin, out var wire, out var error) ? wire : throw new ArgumentException(error, nameof(pin));

    private static PinStatus ToPinStatus(PinKind kind, ResponseApdu response, string what)
    {
        if (response.Sw == StatusWords.Success)
        {
            return new PinStatus(true, JpkiFiles.MaxTries(kind), false);
        }

        if (response.Sw == StatusWords.AuthenticationBlocked)
        {
            return new PinStatus(false, 0, true);
        }

        if (StatusWords.IsVerifyFailed(response.Sw, out var left))
        {
            return new PinStatus(false, left, left == 0);
        }

        throw new JpkiCardException(response.Sw, what);
    }

    private static void Expect(ResponseApdu response, string what)
    {
        if (response.Sw != StatusWords.Success)
        {
            throw new JpkiCardException(response.Sw, what);
        }
    }

    private static int? DerLength(byte[] head)
    {
        if (head.Length < 2 || head[0] != 0x30)
        {
            return null;
        }

        return head[1] switch
        {
            < 0x80 => 2 + head[1],
            0x81 when head.Length >= 3 => 3 + head[2],
            0x82 when head.Length >= 4 => 4 + ((head[2] << 8) | head[3]),
            _ => null,
        };
    }

    private void SelectEf(ushort fid)
    {
        if (!apSelected)
        {
            SelectAp();
        }

        Expect(Send(new CommandApdu(0x00, 0xA4, 0x02, 0x0C, new[] { (byte)(fid >> 8), (byte)fid }, null)), $"SELECT EF {fid:X4} failed");
    }
}
