using System.Security.Cryptography;

namespace MobileJpki.Pki;

/// <summary>Certificate serial numbers: 16 random bytes, positive, DER-encoded in exactly 16 bytes.</summary>
public static class SerialNumbers
{
    public const int Length = 16;

    /// <summary>A new serial with 127 bits from the CSPRNG (CA/B Forum asks for at least 64) minus the rare redraw.</summary>
    public static byte[] New()
    {
        var serial = new byte[Length];
        do
        {
            RandomNumberGenerator.Fill(serial);

            // Top bit clear keeps the INTEGER positive without a 0x00 pad; a zero first byte would be dropped by DER,
            // so we redraw rather than let the length vary.
            serial[0] &= 0x7F;
        }
        while (serial[0] == 0);

        return serial;
    }

    /// <summary>A new serial as <see cref="New()"/> makes it, plus <paramref name="alsoRandom"/> filled from the same CSPRNG call.</summary>
    /// <remarks>Each CSPRNG call costs about 2 µs here; issuance needs a serial and a random CN, so it asks once.</remarks>
    internal static byte[] New(Span<byte> alsoRandom)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alsoRandom.Length, 64);
        Span<byte> buffer = stackalloc byte[Length + alsoRandom.Length];
        RandomNumberGenerator.Fill(buffer);
        buffer[Length..].CopyTo(alsoRandom);
        var serial = buffer[..Length].ToArray();
        serial[0] &= 0x7F;
        while (serial[0] == 0)
        {
            // Same redraw as New(): about one serial in 128.
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
        }

        return serial;
    }

    /// <summary>True for a serial <see cref="New()"/> could have produced.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> serial) =>
        serial.Length == Length && serial[0] != 0 && (serial[0] & 0x80) == 0;

    public static string ToHex(ReadOnlySpan<byte> serial) => Convert.ToHexStringLower(serial);
}
