using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MobileJpki.Notifications;

/// <summary>
/// Message encryption for Web Push (RFC 8291) in the "aes128gcm" content coding (RFC 8188), one record:
/// ECDH P-256 between a fresh application-server key and the browser's key, HKDF-SHA-256 keyed with the
/// browser's auth secret, AES-128-GCM.
/// </summary>
public static class WebPushEncryption
{
    public const int RecordSize = 4096;
    public const int KeyLength = 65;
    public const int AuthSecretLength = 16;
    private const int SaltLength = 16;
    private const int TagLength = 16;
    private const int HeaderLength = SaltLength + 4 + 1 + KeyLength;

    /// <summary>The largest payload that fits in one record (record size − tag − delimiter).</summary>
    public const int MaxPlaintext = RecordSize - TagLength - 1;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for a subscription. <paramref name="senderKey"/> and <paramref name="salt"/>
    /// are fresh per message unless given (only the RFC's test vector gives them).
    /// </summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> userAgentPublicKey, ReadOnlySpan<byte> authSecret, ECDiffieHellman? senderKey = null, byte[]? salt = null)
    {
        if (plaintext.Length > MaxPlaintext)
        {
            throw new ArgumentException($"A Web Push payload is at most {MaxPlaintext} bytes.", nameof(plaintext));
        }

        if (authSecret.Length != AuthSecretLength)
        {
            throw new ArgumentException("The auth secret must be 16 bytes.", nameof(authSecret));
        }

        salt ??= RandomNumberGenerator.GetBytes(SaltLength);
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException("The salt must be 16 bytes.", nameof(salt));
        }

        using var userAgent = ImportPublicKey(userAgentPublicKey);
        var ownKey = senderKey is null;
        var sender = senderKey ?? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var senderPublic = ExportPublicKey(sender);

            // RFC 8291 §3.3–3.4: ecdh_secret → IKM (keyed with the auth secret) → PRK (keyed with the salt) → CEK, NONCE.
            var ecdhSecret = sender.DeriveRawSecretAgreement(userAgent.PublicKey);
            var keyInfo = Concat(Encoding.ASCII.GetBytes("WebPush: info\0"), userAgentPublicKey, senderPublic);
            var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, ecdhSecret, 32, authSecret.ToArray(), keyInfo);
            var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
            var cek = HKDF.Expand(HashAlgorithmName.SHA256, prk, 16, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
            var nonce = HKDF.Expand(HashAlgorithmName.SHA256, prk, 12, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

            // RFC 8188 §2: header = salt ‖ rs (uint32) ‖ idlen ‖ keyid (the sender's public key); one record,
            // the plaintext followed by the last-record delimiter 0x02 and no padding.
            var body = new byte[HeaderLength + plaintext.Length + 1 + TagLength];
            salt.CopyTo(body, 0);
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(SaltLength), RecordSize);
            body[SaltLength + 4] = KeyLength;
            senderPublic.CopyTo(body, SaltLength + 5);

            var padded = new byte[plaintext.Length + 1];
            plaintext.CopyTo(padded);
            padded[^1] = 0x02;
            using var aes = new AesGcm(cek, TagLength);
            aes.Encrypt(nonce, padded, body.AsSpan(HeaderLength, padded.Length), body.AsSpan(HeaderLength + padded.Length, TagLength));
            CryptographicOperations.ZeroMemory(ecdhSecret);
            CryptographicOperations.ZeroMemory(ikm);
            CryptographicOperations.ZeroMemory(prk);
            CryptographicOperations.ZeroMemory(cek);
            return body;
        }
        finally
        {
            if (ownKey)
            {
                sender.Dispose();
            }
        }
    }

    /// <summary>True when <paramref name="point"/> is an uncompressed P-256 point on the curve.</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> point)
    {
        if (point.Length != KeyLength || point[0] != 0x04)
        {
            return false;
        }

        try
        {
            using var key = ImportPublicKey(point);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Imports an uncompressed P-256 point (0x04 ‖ X ‖ Y); the platform checks it is on the curve.</summary>
    public static ECDiffieHellman ImportPublicKey(ReadOnlySpan<byte> point)
    {
        if (point.Length != KeyLength || point[0] != 0x04)
        {
            throw new CryptographicException("Not an uncompressed P-256 point.");
        }

        return ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33].ToArray(), Y = point[33..].ToArray() },
        });
    }

    /// <summary>The uncompressed point (0x04 ‖ X ‖ Y) of a P-256 key.</summary>
    public static byte[] ExportPublicKey(ECAlgorithm key)
    {
        var q = key.ExportParameters(false).Q;
        return Concat([0x04], q.X, q.Y!);
    }

    private static byte[] Concat(byte[] a, ReadOnlySpan<byte> b, byte[] c)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result, 0);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result, a.Length + b.Length);
        return result;
    }
}
