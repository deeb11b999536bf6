using System.Formats.Asn1;
using System.Numerics;

namespace MobileJpki.Pki;

/// <summary>Checks subject keys without throwing, so the RA can reject a bad CSR key before anything else.</summary>
public static class SubjectPublicKeyInfos
{
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const int RequiredRsaBits = 2048;
    public const int RequiredExponent = 65537;

    /// <summary>True for a DER SubjectPublicKeyInfo holding an RSA-2048 key with exponent 65537; otherwise a client-safe reason.</summary>
    public static bool TryValidateRsa2048(byte[] spki, out string error)
    {
        if (spki is null || spki.Length == 0)
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
            var bits = info.ReadBitString(out var unusedBits);
            info.ThrowIfNotEmpty();
            if (unusedBits != 0)
            {
                error = "The public key bit string is malformed.";
                return false;
            }

            var keyReader = new AsnReader(bits, AsnEncodingRules.DER);
            var rsaKey = keyReader.ReadSequence();
            keyReader.ThrowIfNotEmpty();
            var modulus = rsaKey.ReadInteger();
            var exponent = rsaKey.ReadInteger();
            rsaKey.ThrowIfNotEmpty();

            if (modulus.Sign <= 0 || modulus.IsEven)
            {
                error = "The RSA modulus is not a valid modulus.";
                return false;
            }

            var size = modulus.GetBitLength();
            if (size != RequiredRsaBits)
            {
                error = $"The RSA key must be {RequiredRsaBits} bits, not {size}.";
                return false;
            }

            if (exponent != new BigInteger(RequiredExponent))
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
}
