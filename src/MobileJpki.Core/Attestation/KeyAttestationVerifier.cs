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
    /// <summary>The error of the DER overload when a certificate of the chain is not DER X.509.</summary>
    public const string UnparsableCertificateError = "an attestation certificate could not be parsed";

    private const string IssuerMismatch = "device certificate: issuer name does not match";
    private const string ForeignRootInChain = "the chain ends in a root that is not the trusted maker root";

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
        var der = new byte[chain.Count][];
        for (var i = 0; i < der.Length; i++)
        {
            der[i] = chain[i].RawData;
        }

        return TryVerify(der, KeyAttestationTrust.For(trustedRoot), expectedChallenge, expectedSubjectPublicKeyInfo, at, out attestation, out error);
    }

    /// <summary>
    /// The same checks on the certificates' DER, without <see cref="X509Certificate2"/>: the device certificate's
    /// verification under the root is remembered by <paramref name="trust"/>; the key attestation certificate is
    /// checked in full every time.
    /// </summary>
    /// <param name="chain">The DER of the key attestation certificate, the device certificate and optionally the root.</param>
    /// <param name="trust">The maker root to trust, with its cache.</param>
    /// <returns>False with <see cref="UnparsableCertificateError"/> when a certificate is not DER X.509.</returns>
    public static bool TryVerify(
        IReadOnlyList<byte[]> chain,
        KeyAttestationTrust trust,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out KeyAttestationData? attestation,
        out string error) =>
        TryVerify(chain, trust, expectedChallenge, expectedSubjectPublicKeyInfo, at, out attestation, out _, out error);

    /// <summary>As the other DER overload, also returning the SE serial number the maker certified.</summary>
    /// <param name="deviceSerialNumber">
    /// The serialNumber attribute of the verified device certificate (null when it names none): the SE's identity as
    /// its maker vouches for it, from which <see cref="PhoneIdentity"/> derives the phone id. Set only on success.
    /// </param>
    public static bool TryVerify(
        IReadOnlyList<byte[]> chain,
        KeyAttestationTrust trust,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out KeyAttestationData? attestation,
        out string? deviceSerialNumber,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(trust);
        attestation = null;
        deviceSerialNumber = null;

        if (chain.Count is < 2 or > 3)
        {
            error = "the attestation chain must hold the key certificate, the device certificate and optionally the root";
            return false;
        }

        // Every certificate must parse before anything else is judged.
        if (!DerCertificate.TryParse(chain[0], out var leaf) || leaf is null)
        {
            error = UnparsableCertificateError;
            return false;
        }

        var deviceKey = Sha256Key.Of(chain[1]);
        DerCertificate? device = null;
        // A copy: the parsed device certificate may be cached, and the caller's array is the caller's.
        if (!trust.TryGetDevice(deviceKey, out var known) && (!DerCertificate.TryParse(chain[1].ToArray(), out device) || device is null))
        {
            error = UnparsableCertificateError;
            return false;
        }

        var root = trust.Root;
        if (chain.Count == 3 && !chain[2].AsSpan().SequenceEqual(root.Der))
        {
            error = DerCertificate.TryParse(chain[2], out _) ? ForeignRootInChain : UnparsableCertificateError;
            return false;
        }

        if (known is null)
        {
            // Step 1: the device certificate is issued by the trusted maker root and may issue attestations.
            if (!IssuedBy(device!, root, trust.RootKey, out error))
            {
                error = "device certificate: " + error;
                return false;
            }

            if (!trust.RootIsCertificateAuthority || !device!.IsCertificateAuthority)
            {
                error = "the maker root and the device certificate must both be CA certificates";
                return false;
            }

            // Fail closed: a serialNumber that cannot be read must not turn off the check that the attestation names this SE.
            if (!device!.TryReadSubjectSerialNumberAttribute(out var serialAttribute))
            {
                error = "the device certificate's serialNumber attribute cannot be read";
                return false;
            }

            known = trust.AddDevice(deviceKey, new KeyAttestationTrust.DeviceCertificate(device, device.ImportPublicKey(), serialAttribute));
        }
        else if (!trust.RootIsCertificateAuthority)
        {
            error = "the maker root and the device certificate must both be CA certificates";
            return false;
        }

        // Step 2: the key attestation certificate is issued by the device key.
        if (!IssuedBy(leaf, known.Certificate, known.Key, out error))
        {
            error = "key attestation certificate: " + error;
            return false;
        }

        // Step 3: all three are valid now.
        foreach (var cert in (ReadOnlySpan<DerCertificate>)[leaf, known.Certificate, root])
        {
            if (at < cert.NotBefore || at > cert.NotAfter)
            {
                error = $"certificate '{new X500DistinguishedName(cert.Subject.Span).Name}' is not valid at {at:O}";
                return false;
            }
        }

        // Step 4: the attestation says what we asked: our challenge, a key born in this SE, the key we were given.
        if (!leaf.TryGetExtension(Oids.KeyAttestation, out var extension) || !KeyAttestationData.TryDecode(extension, out var data) || data is null)
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

        if (known.SerialNumberAttribute is { } deviceSerial && !string.Equals(deviceSerial, data.SecureElementId, StringComparison.Ordinal))
        {
            error = "the attestation names a different secure element than the device certificate";
            return false;
        }

        if (!leaf.SubjectPublicKeyInfo.Span.SequenceEqual(expectedSubjectPublicKeyInfo))
        {
            error = "the attested key is not the key being applied for";
            return false;
        }

        attestation = data;
        deviceSerialNumber = known.SerialNumberAttribute;
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// As the DER overload, against several trusted maker roots: accepted when the chain verifies under any one of them.
    /// </summary>
    /// <param name="trusted">The maker roots to trust; none trusted refuses every chain.</param>
    /// <returns>On failure the most telling error: that of a root under which the device certificate verified, if any.</returns>
    public static bool TryVerify(
        IReadOnlyList<byte[]> chain,
        IReadOnlyList<KeyAttestationTrust> trusted,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out KeyAttestationData? attestation,
        out string error) =>
        TryVerify(chain, trusted, expectedChallenge, expectedSubjectPublicKeyInfo, at, out attestation, out _, out error);

    /// <summary>As the several-roots overload, also returning the SE serial number the maker certified.</summary>
    public static bool TryVerify(
        IReadOnlyList<byte[]> chain,
        IReadOnlyList<KeyAttestationTrust> trusted,
        ReadOnlySpan<byte> expectedChallenge,
        ReadOnlySpan<byte> expectedSubjectPublicKeyInfo,
        DateTimeOffset at,
        out KeyAttestationData? attestation,
        out string? deviceSerialNumber,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        attestation = null;
        deviceSerialNumber = null;
        error = "no SE maker root is trusted";
        var rank = -1;

        // Every root is tried: two roots of one maker (a key rollover) may share a name.
        foreach (var trust in trusted)
        {
            if (TryVerify(chain, trust, expectedChallenge, expectedSubjectPublicKeyInfo, at, out attestation, out deviceSerialNumber, out var attempt))
            {
                error = string.Empty;
                return true;
            }

            // A root that did not issue the device certificate says only that; one whose signature on it failed says
            // more; one under which the device certificate verified says what is really wrong with the chain.
            var telling = attempt is IssuerMismatch or ForeignRootInChain ? 0 : attempt.StartsWith("device certificate: ", StringComparison.Ordinal) ? 1 : 2;
            if (telling > rank)
            {
                (rank, error) = (telling, attempt);
            }
        }

        return false;
    }

    private static bool IssuedBy(DerCertificate subject, DerCertificate issuer, AsymmetricAlgorithm? issuerKey, out string error)
    {
        if (!subject.Issuer.Span.SequenceEqual(issuer.Subject.Span))
        {
            error = "issuer name does not match";
            return false;
        }

        if (!subject.SignatureAlgorithm.Span.SequenceEqual(subject.InnerSignatureAlgorithm.Span))
        {
            error = "the signature algorithm inside and outside the signed part differ";
            return false;
        }

        if (!subject.IsSignedBy(issuerKey))
        {
            error = "the signature does not verify with the issuer's key";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
