using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Card;

namespace MobileJpki.Device;

/// <summary>Host-side helper for the SE's provisioning commands, as the portal app would send them.</summary>
public sealed class SecureElementClient
{
    /// <summary>Blocks per chained PUT CERTIFICATE command; a short Lc can carry at most 255.</summary>
    private const int ChainBlockLength = 240;

    private readonly IApduChannel channel;

    public SecureElementClient(IApduChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        this.channel = channel;
        Jpki = new JpkiClient(channel);
    }

    /// <summary>The standard JPKI middleware over the same channel (same session).</summary>
    public JpkiClient Jpki { get; }

    /// <summary>Generates the key pair of <paramref name="kind"/> inside the SE; returns the key attestation certificate.</summary>
    public X509Certificate2 GenerateKeyPair(PinKind kind, ReadOnlySpan<byte> challenge)
    {
        var fid = JpkiFiles.KeyFid(kind);
        var response = Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.GenerateKeyPair, (byte)(fid >> 8), (byte)fid, challenge.ToArray(), CommandApdu.MaxExtendedNe));
        Expect(response, "GENERATE KEY PAIR failed");
        return X509CertificateLoader.LoadCertificate(response.Data);
    }

    /// <summary>The device attestation certificate then the maker root, to append after a key attestation certificate.</summary>
    public IReadOnlyList<X509Certificate2> ReadAttestationChain() =>
    [
        Jpki.ReadCertificate(SecureElementCommands.DeviceAttestationCertificate),
        Jpki.ReadCertificate(SecureElementCommands.MakerRootCertificate),
    ];

    /// <summary>Writes a certificate EF in chained blocks of at most 240 bytes.</summary>
    public void PutCertificate(ushort fid, ReadOnlySpan<byte> der)
    {
        var offset = 0;
        do
        {
            var length = Math.Min(ChainBlockLength, der.Length - offset);
            var last = offset + length >= der.Length;
            var cla = last ? SecureElementCommands.Cla : SecureElementCommands.ClaChained;
            var response = Send(new CommandApdu(cla, SecureElementCommands.PutCertificate, (byte)(fid >> 8), (byte)fid, der.Slice(offset, length).ToArray(), null));
            Expect(response, $"PUT CERTIFICATE into EF {fid:X4} failed");
            offset += length;
        }
        while (offset < der.Length);
    }

    /// <summary>Sets a PIN after normalizing it; see <see cref="SecureElementCommands.SetPin"/> for when the SE allows it.</summary>
    public void SetPin(PinKind kind, string pin)
    {
        if (!PasswordPolicy.TryNormalize(kind, pin, out var wire, out var error))
        {
            throw new ArgumentException(error, nameof(pin));
        }

        var fid = JpkiFiles.PinFid(kind);
        Expect(Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.SetPin, (byte)(fid >> 8), (byte)fid, Encoding.ASCII.GetBytes(wire), null)), "SET PIN failed");
    }

    /// <summary>パスワード初期化: replaces an existing PIN (its key in place) with a new one and resets its retry counter.</summary>
    public void ResetPin(PinKind kind, string pin)
    {
        if (!PasswordPolicy.TryNormalize(kind, pin, out var wire, out var error))
        {
            throw new ArgumentException(error, nameof(pin));
        }

        var fid = JpkiFiles.PinFid(kind);
        Expect(Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.SetPin, SecureElementCommands.ResetPinP1, (byte)fid, Encoding.ASCII.GetBytes(wire), null)), "RESET PIN failed");
    }

    public void Wipe() =>
        Expect(Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.Wipe, 0, 0, ReadOnlyMemory<byte>.Empty, null)), "WIPE failed");

    public ResponseApdu Send(CommandApdu command) => ResponseApdu.Parse(channel.Transmit(command.ToBytes()));

    private static void Expect(ResponseApdu response, string what)
    {
        if (response.Sw != StatusWords.Success)
        {
            throw new JpkiCardException(response.Sw, what);
        }
    }
}
