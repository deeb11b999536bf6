using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core.Attestation;

/// <summary>Checks that a key was generated inside a secure element vouched for by a trusted maker root.</summary>
/// <remarks>
/// Every signature is checked by hand against the issuer's key: X509Chain would consult the machine's trust
/// store and revocation settings, which must play no part in deciding whether an SE is genuine.
/// </remarks>
public static class KeyAttestationVerifier
{
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string SerialNumberAttributeOid = "2.5.4.5";

    /// <param name="chain">The key attestation certificate first, then the device certificate, then optionally the root.</param>
    /// <param name="trustedRoot">The maker root to trust, e.g. <see cref="SeMakerRoots.Default"/>.</param>
    /// <param name="expectedChallenge">The challenge the relying party sent to the SE.</param>
    /// <param name="expectedSubjectPublicKeyInfo">The DER SubjectPublicKeyInfo of the key being applied for.</param>
    /// <param name="at">The instant at which every certificate must be valid.</param>
    /// <param name="error">Why verification failed; empty on success.</param>
    public static bool TryVerify(
        IReadOnlyList<X509Certificate2> chain,
        X509Certificate2 trustedRoot,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out string error) =>
        TryVerify(chain, trustedRoot, expectedChallenge, expectedSubjectPublicKeyInfo, at, out _, out error);

    /// <summary>As the other overload, also returning the decoded attestation on success.</summary>
    public static bool TryVerify(
        IReadOnlyList<X509Certificate2> chain,
        X509Certificate2 trustedRoot,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out KeyAttestationData? attestation,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(trustedRoot);
        attestation = null;

        if (chain.Count is < 2 or > 3)
        {
            error = "the attestation chain must hold the key certificate, the device certificate and optionally the root";
            return false;
        }

        var leaf = chain[0];
        var device = chain[1];
        if (chain.Count == 3 && !chain[2].RawData.AsSpan().SequenceEqual(trustedRoot.RawData))
        {
            error = "the chain ends in a root that is not the trusted maker root";
            return false;
        }

        // Step 1: the device certificate is issued by the trusted maker root and may issue attestations.
        if (!IssuedBy(device, trustedRoot, out error))
        {
            error = "device certificate: " + error;
            return false;
        }

        if (!IsCertificateAuthority(trustedRoot) || !IsCertificateAuthority(device))
        {
            error = "the maker root and the device certificate must both be CA certificates";
            return false;
        }

        // Step 2: the key attestation certificate is issued by the device key.
        if (!IssuedBy(leaf, device, out error))
        {
            error = "key attestation certificate: " + error;
            return false;
        }

        // Step 3: all three are valid now.
        foreach (var cert in new[] { leaf, device, trustedRoot })
        {
            if (at < new DateTimeOffset(cert.NotBefore.ToUniversalTime()) || at > new DateTimeOffset(cert.NotAfter.ToUniversalTime()))
            {
                error = $"certificate '{cert.Subject}' is not valid at {at:O}";
                return false;
            }
        }

        // Step 4: the attestation says what we asked: our challenge, a key born in this SE, the key we were given.
        var extension = leaf.Extensions[Oids.KeyAttestation];
        if (extension is null || !KeyAttestationData.TryDecode(extension.RawData, out var data) || data is null)
        {
            error = "the key attestation extension is missing or malformed";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(data.Challenge, expectedChallenge))
        {
            error = "the attestation challenge does not match";
            return false;
        }

        if (data.Origin != KeyOrigin.GeneratedInsideSecureElement)
        {
            error = "the key was not generated inside the secure element";
            return false;
        }

        var deviceSerial = SerialNumberAttribute(device.SubjectName);
        if (deviceSerial is not null && !string.Equals(deviceSerial, data.SecureElementId, StringComparison.Ordinal))
        {
            error = "the attestation names a different secure element than the device certificate";
            return false;
        }

        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expectedSubjectPublicKeyInfo))
        {
            error = "the attested key is not the key being applied for";
            return false;
        }

        attestation = data;
        error = string.Empty;
        return true;
    }

    private static bool IssuedBy(X509Certificate2 subject, X509Certificate2 issuer, out string error)
    {
        if (!subject.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData))
        {
            error = "issuer name does not match";
            return false;
        }

        if (!TrySplit(subject.RawData, out var tbs, out var outerAlgorithm, out var signature, out var innerAlgorithm))
        {
            error = "the certificate is malformed";
            return false;
        }

        if (!outerAlgorithm.SequenceEqual(innerAlgorithm))
        {
            error = "the signature algorithm inside and outside the signed part differ";
            return false;
        }

        if (!TryVerifySignature(issuer, outerAlgorithm, tbs, signature))
        {
            error = "the signature does not verify with the issuer's key";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TrySplit(byte[] der, out byte[] tbs, out byte[] algorithm, out byte[] signature, out byte[] innerAlgorithm)
    {
        tbs = algorithm = signature = innerAlgorithm = [];
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var cert = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            tbs = cert.ReadEncodedValue().ToArray();
            algorithm = cert.ReadEncodedValue().ToArray();
            signature = cert.ReadBitString(out var unused);
            cert.ThrowIfNotEmpty();
            if (unused != 0)
            {
                return false;
            }

            var tbsReader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
            if (tbsReader.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
            {
                tbsReader.ReadEncodedValue();
            }

            tbsReader.ReadEncodedValue(); // serialNumber
            innerAlgorithm = tbsReader.ReadEncodedValue().ToArray();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static bool TryVerifySignature(X509Certificate2 issuer, byte[] algorithmIdentifier, byte[] tbs, byte[] signature)
    {
        string oid;
        try
        {
            var seq = new AsnReader(algorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
            oid = seq.ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return false;
        }

        (HashAlgorithmName Hash, bool Rsa)? scheme = oid switch
        {
            "1.2.840.113549.1.1.11" => (HashAlgorithmName.SHA256, true),
            "1.2.840.113549.1.1.12" => (HashAlgorithmName.SHA384, true),
            "1.2.840.113549.1.1.13" => (HashAlgorithmName.SHA512, true),
            "1.2.840.10045.4.3.2" => (HashAlgorithmName.SHA256, false),
            "1.2.840.10045.4.3.3" => (HashAlgorithmName.SHA384, false),
            "1.2.840.10045.4.3.4" => (HashAlgorithmName.SHA512, false),
            _ => null,
        };
        if (scheme is null)
        {
            return false;
        }

        try
        {
            if (scheme.Value.Rsa)
            {
                using var rsa = issuer.GetRSAPublicKey();
                return rsa is not null && rsa.VerifyData(tbs, signature, scheme.Value.Hash, RSASignaturePadding.Pkcs1);
            }

            using var ec = issuer.GetECDsaPublicKey();
            return ec is not null && ec.VerifyData(tbs, signature, scheme.Value.Hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool IsCertificateAuthority(X509Certificate2 cert) =>
        cert.Extensions[BasicConstraintsOid] is X509BasicConstraintsExtension { CertificateAuthority: true };

    private static string? SerialNumberAttribute(X500DistinguishedName name)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == SerialNumberAttributeOid)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }
}
