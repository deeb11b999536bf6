namespace MobileJpki.Card;

/// <summary>An ISO 7816-4 response APDU: data followed by the status word.</summary>
public readonly record struct ResponseApdu(byte[] Data, ushort Sw)
{
    public bool IsSuccess => Sw == StatusWords.Success;

    public static ResponseApdu Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 2)
        {
            throw new ArgumentException("A response APDU has at least the two status bytes.", nameof(raw));
        }

        return new ResponseApdu(raw[..^2].ToArray(), (ushort)((raw[^2] << 8) | raw[^1]));
    }

    public static ResponseApdu Status(ushort sw) => new([], sw);

    public byte[] ToBytes()
    {
        var data = Data ?? [];
        var bytes = new byte[data.Length + 2];
        data.CopyTo(bytes, 0);
        bytes[^2] = (byte)(Sw >> 8);
        bytes[^1] = (byte)Sw;
        return bytes;
    }
}
