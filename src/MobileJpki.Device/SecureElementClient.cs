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
        var response = SendChained(SecureElementCommands.PutCertificate, (byte)(fid >> 8), (byte)fid, der);
        Expect(response, $"PUT CERTIFICATE into EF {fid:X4} failed");
    }

    /// <summary>Sets a PIN where none exists, after normalizing it; see <see cref="SecureElementCommands.SetPin"/>.</summary>
    public void SetPin(PinKind kind, string pin)
    {
        var wire = Normalize(kind, pin);
        var fid = JpkiFiles.PinFid(kind);
        Expect(Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.SetPin, (byte)(fid >> 8), (byte)fid, Encoding.ASCII.GetBytes(wire), null)), "SET PIN failed");
    }

    /// <summary>GET CHALLENGE: the SE's fresh challenge for the next RESET PIN (to send to the server).</summary>
    public byte[] GetChallenge()
    {
        var response = Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.GetChallenge, 0, 0, ReadOnlyMemory<byte>.Empty, 32));
        Expect(response, "GET CHALLENGE failed");
        return response.Data;
    }

    /// <summary>
    /// パスワード初期化: replaces a registered PIN with a new one and refills its counter, with the server's reset
    /// authorisation (DER) for this SE's key, this kind and the challenge of <see cref="GetChallenge"/>.
    /// </summary>
    public void ResetPin(PinKind kind, string pin, ReadOnlySpan<byte> authorization)
    {
        var wire = Normalize(kind, pin);
        byte[] data = [.. authorization, .. Encoding.ASCII.GetBytes(wire)];
        Expect(ResetPinRaw(kind, data), "RESET PIN failed");
    }

    /// <summary>RESET PIN with raw data (authorisation ‖ PIN), chained; the SE's status word as it answered.</summary>
    public ResponseApdu ResetPinRaw(PinKind kind, ReadOnlySpan<byte> data) =>
        SendChained(SecureElementCommands.SetPin, SecureElementCommands.ResetPinP1, (byte)JpkiFiles.PinFid(kind), data);

    public void Wipe() =>
        Expect(Send(new CommandApdu(SecureElementCommands.Cla, SecureElementCommands.Wipe, 0, 0, ReadOnlyMemory<byte>.Empty, null)), "WIPE failed");

    public ResponseApdu Send(CommandApdu command) => ResponseApdu.Parse(channel.Transmit(command.ToBytes()));

    private static string Normalize(PinKind kind, string pin) =>
        PasswordPolicy.TryNormalize(kind, pin, out var wire, out var error) ? wire : throw new ArgumentException(error, nameof(pin));

    /// <summary>Sends <paramref name="data"/> in chained blocks (CLA 90 on all but the last); stops at the first refusal.</summary>
    private ResponseApdu SendChained(byte ins, byte p1, byte p2, ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (true)
        {
            var length = Math.Min(ChainBlockLength, data.Length - offset);
            var last = offset + length >= data.Length;
            var cla = last ? SecureElementCommands.Cla : SecureElementCommands.ClaChained;
            var response = Send(new CommandApdu(cla, ins, p1, p2, data.Slice(offset, length).ToArray(), null));
            offset += length;
            if (last || response.Sw != StatusWords.Success)
            {
                return response;
            }
        }
    }

    private static void Expect(ResponseApdu response, string what)
    {
        if (response.Sw != StatusWords.Success)
        {
            throw new JpkiCardException(response.Sw, what);
        }
    }
}
