using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Core.Delegation;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>
/// A delegated OCSP responder (RFC 6960 §4.2.2.2, second case): a certificate issued by the CA with
/// id-kp-OCSPSigning and id-pkix-ocsp-nocheck, and its key, which signs the responses. Immutable.
/// </summary>
public sealed class OcspSigner : IDelegatedSigner
{
    private long _signatures;

    public OcspSigner(Hierarchy hierarchy, X509Certificate2 certificate, RSA key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        Hierarchy = hierarchy;
        Certificate = certificate;
        Key = key;
        CertificateDer = certificate.RawData;
#pragma warning disable CA5350 // responderID byKey is the SHA-1 of the key (RFC 6960 §4.2.1); not used for signing.
        KeyHashSha1 = SHA1.HashData(certificate.PublicKey.EncodedKeyValue.RawData);
#pragma warning restore CA5350
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
    }

    public Hierarchy Hierarchy { get; }

    public X509Certificate2 Certificate { get; }

    public RSA Key { get; }

    /// <summary>The responder certificate, DER: put into every response's <c>certs</c>.</summary>
    public byte[] CertificateDer { get; }

    /// <summary>responderID byKey.</summary>
    public byte[] KeyHashSha1 { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>Responses signed with it so far (tests and metrics: the hot path must not sign).</summary>
    public long Signatures => Interlocked.Read(ref _signatures);

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }

    /// <summary>sha256WithRSAEncryption, PKCS#1 v1.5.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> toBeSigned)
    {
        Interlocked.Increment(ref _signatures);
        return Key.SignData(toBeSigned, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}

/// <summary>The current responder of each CA (what <see cref="OcspResponder"/> and <see cref="OcspRefresher"/> sign with).</summary>
public interface IOcspSigners
{
    /// <summary>The responder to sign with now; renews it first when due. Throws when none can be had (the CA key is gone and the last one expired).</summary>
    OcspSigner For(Hierarchy hierarchy);
}
