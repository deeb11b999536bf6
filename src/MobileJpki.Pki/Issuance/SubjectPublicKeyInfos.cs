using System.Formats.Asn1;

namespace MobileJpki.Pki;

/// <summary>Checks subject keys without throwing, so the RA can reject a bad CSR key before anything else.</summary>
public static class SubjectPublicKeyInfos
{
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const int RequiredRsaBits = 2048;
    public const int RequiredExponent = 65537;

    /// <summary>65537 as a minimal DER INTEGER's contents.</summary>
    private static ReadOnlySpan<byte> RequiredExponentBytes => [0x01, 0x00, 0x01];

    /// <summary>True for a DER SubjectPublicKeyInfo holding an RSA-2048 key with exponent 65537; otherwise a client-safe reason.</summary>
    public static bool TryValidateRsa2048(byte[] spki, out string error) =>
        TryValidateRsa2048(spki is null ? ReadOnlyMemory<byte>.Empty : spki.AsMemory(), out error);

    /// <inheritdoc cref="TryValidateRsa2048(byte[], out string)"/>
    internal static bool TryValidateRsa2048(ReadOnlyMemory<byte> spki, out string error)
    {
        if (spki.IsEmpty)
        {
            error = "The public key is empty.";
            return false;
        }

        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            if (oid != RsaEncryptionOid)
            {
                error = $"The public key must be RSA (rsaEncryption), not {oid}.";
                return false;
            }

            // RFC 3279 requires NULL parameters for rsaEncryption.
            algorithm.ReadNull();
            algorithm.ThrowIfNotEmpty();
            if (!info.TryReadPrimitiveBitString(out var unusedBits, out var bits))
            {
                // DER bit strings are always primitive; reaching here means a BER-only form slipped through.
                throw new AsnContentException();
            }

            info.ThrowIfNotEmpty();
            if (unusedBits != 0)
            {
                error = "The public key bit string is malformed.";
                return false;
            }

            var keyReader = new AsnReader(bits, AsnEncodingRules.DER);
            var rsaKey = keyReader.ReadSequence();
            keyReader.ThrowIfNotEmpty();

            // Big-endian two's complement, minimally encoded (the reader enforces that), so the bytes are the number.
            var modulus = rsaKey.ReadIntegerBytes().Span;
            var exponentIsRequired = rsaKey.ReadIntegerBytes().Span.SequenceEqual(RequiredExponentBytes);
            rsaKey.ThrowIfNotEmpty();

            if ((modulus[0] & 0x80) != 0 || (modulus[^1] & 1) == 0)
            {
                // Negative, zero (a single 0x00 byte) or even.
                error = "The RSA modulus is not a valid modulus.";
                return false;
            }

            var size = BitLength(modulus);
            if (size != RequiredRsaBits)
            {
                error = $"The RSA key must be {RequiredRsaBits} bits, not {size}.";
                return false;
            }

            if (!exponentIsRequired)
            {
                error = $"The RSA public exponent must be {RequiredExponent}.";
                return false;
            }
        }
        catch (AsnContentException)
        {
            error = "The public key is not a DER SubjectPublicKeyInfo.";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>The subjectPublicKey bit string's contents (what a SHA-1 key identifier hashes); false when not DER.</summary>
    /// <remarks>Checks the shape only, not the algorithm: that is <see cref="TryValidateRsa2048(ReadOnlyMemory{byte}, out string)"/>'s job.</remarks>
    internal static bool TryReadSubjectPublicKey(ReadOnlyMemory<byte> spki, out ReadOnlyMemory<byte> subjectPublicKey)
    {
        subjectPublicKey = default;
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            info.ReadSequence();
            if (!info.TryReadPrimitiveBitString(out var unusedBits, out var bits) || unusedBits != 0 || info.HasData)
            {
                return false;
            }

            subjectPublicKey = bits;
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>Bit length of a positive big-endian integer whose first byte is the sign pad or the top byte.</summary>
    private static int BitLength(ReadOnlySpan<byte> positive)
    {
        var start = positive[0] == 0 ? 1 : 0;
        return start == positive.Length
            ? 0
            : ((positive.Length - start - 1) * 8) + (32 - int.LeadingZeroCount(positive[start]));
    }
}
