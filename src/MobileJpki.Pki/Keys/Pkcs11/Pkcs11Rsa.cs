using System.Formats.Asn1;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace MobileJpki.Pki;

/// <summary>An RSA key that lives in a PKCS#11 token: signing happens inside the token, only the public half is here.</summary>
/// <remarks>
/// <para>Signs PKCS#1 v1.5 with CKM_RSA_PKCS over a DigestInfo the caller's hash is wrapped in (so SHA-256, -384 and
/// -512 all work and the data is hashed once, in .NET). PSS and decryption are not offered: the CA does not use them.</para>
/// <para>Every signature is checked with the public key before it is returned. That costs one public-key operation
/// (a few per cent of an HSM signature) and guarantees that a stale handle after an HSM restart, or a faulty device,
/// can never put a wrong signature into a certificate (a faulty RSA-CRT signature can even leak the key).</para>
/// <para>Thread-safe: each signature rents its own session from the token. Disposing this object does not close the
/// token; the <see cref="Pkcs11KeyProvider"/> owns it.</para>
/// </remarks>
internal sealed class Pkcs11Rsa : RSA
{
    private readonly Pkcs11Token _token;
    private readonly Pkcs11KeyUri _uri;
    private readonly RSA _public;
    private readonly Lock _gate = new();
    private (long Generation, IObjectHandle Handle)? _handle;

    public Pkcs11Rsa(Pkcs11Token token, Pkcs11KeyUri uri, RSAParameters publicKey, long generation, IObjectHandle handle)
    {
        _token = token;
        _uri = uri;
        _public = Create(publicKey);
        _handle = (generation, handle);
        KeySizeValue = _public.KeySize;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override string SignatureAlgorithm => "RSA";

    /// <summary>How many times the token had to recover so far (tests check that recovery really happened).</summary>
    internal long TokenGeneration => _token.Generation;

    /// <summary>The key URI without its PIN.</summary>
    public string Uri => _uri.ToString();

    public override RSAParameters ExportParameters(bool includePrivateParameters) => includePrivateParameters
        ? throw new CryptographicException($"The private key {_uri} is non-extractable: it never leaves the HSM.")
        : _public.ExportParameters(false);

    public override void ImportParameters(RSAParameters parameters) =>
        throw new CryptographicException("An HSM key cannot be replaced by importing parameters.");

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(padding);
        if (padding != RSASignaturePadding.Pkcs1)
        {
            throw new CryptographicException("The HSM key signs with PKCS#1 v1.5 padding only.");
        }

        var digestInfo = DigestInfo(hash, hashAlgorithm);
        return _token.Run((session, generation) =>
        {
            using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS);
            var signature = session.Sign(mechanism, HandleFor(session, generation), digestInfo);
            if (!_public.VerifyHash(hash, signature, hashAlgorithm, RSASignaturePadding.Pkcs1))
            {
                throw new StaleHandleException();
            }

            return signature;
        });
    }

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        _public.VerifyHash(hash, signature, hashAlgorithm, padding);

    public override byte[] Encrypt(byte[] data, RSAEncryptionPadding padding) => _public.Encrypt(data, padding);

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding) =>
        throw new CryptographicException("The HSM key is a signing key; it does not decrypt.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _public.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Finds the private key object by label and id; null when the token has none.</summary>
    internal static IObjectHandle? Find(ISession session, Pkcs11KeyUri uri, CKO objectClass = CKO.CKO_PRIVATE_KEY)
    {
        var factory = session.Factories.ObjectAttributeFactory;
        var found = session.FindAllObjects(
        [
            factory.Create(CKA.CKA_CLASS, objectClass),
            factory.Create(CKA.CKA_LABEL, uri.Object),
            factory.Create(CKA.CKA_ID, uri.Id),
        ]);
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw new MobileJpki.Core.MjpkiException(
                MobileJpki.Core.ErrorKind.Internal,
                "hsm-key-ambiguous",
                $"The token holds {found.Count} private keys matching {uri}; a CA key must be unique."),
        };
    }

    /// <summary>Reads the modulus and public exponent of a private key object (never secret, even when CKA_SENSITIVE).</summary>
    internal static RSAParameters ReadPublic(ISession session, IObjectHandle key)
    {
        var values = session.GetAttributeValue(key, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
        return new RSAParameters
        {
            Modulus = TrimLeadingZeros(values[0].GetValueAsByteArray()),
            Exponent = TrimLeadingZeros(values[1].GetValueAsByteArray()),
        };
    }

    private IObjectHandle HandleFor(ISession session, long generation)
    {
        lock (_gate)
        {
            if (_handle is { } cached && cached.Generation == generation)
            {
                return cached.Handle;
            }
        }

        // After a recovery object handles are void: look the key up again (and make sure it is still the same key).
        var handle = Find(session, _uri) ?? throw new MobileJpki.Core.MjpkiException(
            MobileJpki.Core.ErrorKind.Unavailable,
            "hsm-unavailable",
            $"The key {_uri} is no longer in token '{_token.Label}'.");
        var current = ReadPublic(session, handle);
        if (!current.Modulus.AsSpan().SequenceEqual(_public.ExportParameters(false).Modulus))
        {
            throw new MobileJpki.Core.MjpkiException(
                MobileJpki.Core.ErrorKind.Internal,
                "ca-key-mismatch",
                $"The key {_uri} in token '{_token.Label}' was replaced by a different key.");
        }

        lock (_gate)
        {
            _handle = (generation, handle);
        }

        return handle;
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return value[start..];
    }

    /// <summary>DER DigestInfo ::= SEQUENCE { AlgorithmIdentifier { oid, NULL }, OCTET STRING hash } (RFC 8017 §9.2).</summary>
    private static byte[] DigestInfo(byte[] hash, HashAlgorithmName hashAlgorithm)
    {
        var (oid, length) = hashAlgorithm.Name switch
        {
            "SHA256" => ("2.16.840.1.101.3.4.2.1", 32),
            "SHA384" => ("2.16.840.1.101.3.4.2.2", 48),
            "SHA512" => ("2.16.840.1.101.3.4.2.3", 64),
            _ => throw new CryptographicException($"The HSM key does not sign {hashAlgorithm.Name} hashes."),
        };
        if (hash.Length != length)
        {
            throw new CryptographicException($"A {hashAlgorithm.Name} hash is {length} bytes, got {hash.Length}.");
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(oid);
                writer.WriteNull();
            }

            writer.WriteOctetString(hash);
        }

        return writer.Encode();
    }
}
