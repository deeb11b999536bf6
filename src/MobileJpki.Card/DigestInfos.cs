using System.Security.Cryptography;

namespace MobileJpki.Card;

/// <summary>PKCS#1 DigestInfo encodings (RFC 8017 §9.2 note 1) for the hashes JPKI middleware uses.</summary>
public static class DigestInfos
{
    private static readonly (HashAlgorithmName Name, byte[] Prefix)[] Prefixes =
    [
        (HashAlgorithmName.SHA1, [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]),
        (HashAlgorithmName.SHA256, [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
        (HashAlgorithmName.SHA384, [0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
        (HashAlgorithmName.SHA512, [0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
    ];

    /// <summary>DER DigestInfo for <paramref name="hash"/>; throws for other algorithms or a hash of the wrong length.</summary>
    public static byte[] Build(HashAlgorithmName algorithm, ReadOnlySpan<byte> hash)
    {
        foreach (var (name, prefix) in Prefixes)
        {
            if (name == algorithm)
            {
                if (hash.Length != prefix[^1])
                {
                    throw new CryptographicException($"A {name.Name} hash is {prefix[^1]} bytes, not {hash.Length}.");
                }

                return [.. prefix, .. hash];
            }
        }

        throw new CryptographicException($"Hash algorithm '{algorithm.Name}' is not supported by the JPKI applet.");
    }

    /// <summary>Splits a canonical DigestInfo into its algorithm and hash; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> digestInfo, out HashAlgorithmName algorithm, out byte[] hash)
    {
        foreach (var (name, prefix) in Prefixes)
        {
            if (digestInfo.Length == prefix.Length + prefix[^1] && digestInfo.StartsWith(prefix))
            {
                algorithm = name;
                hash = digestInfo[prefix.Length..].ToArray();
                return true;
            }
        }

        algorithm = default;
        hash = [];
        return false;
    }
}
