using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Revocation;

/// <summary>
/// One CA as OCSP and CRLs see it: its certificate, its signing key, and what requests and CRLs name it by (the DER
/// subject name, the SHA-1 and SHA-256 hashes of name and key, the key identifier). Computed once; immutable.
/// </summary>
public sealed class RevocationIssuer
{
    /// <param name="key">The CA's key; only its sign operation is used (concurrently, which .NET's RSA types allow).</param>
    /// <param name="crlBaseUrl">The base of the partition CRL URLs, <c>{BaseUrl}/crl/{h}</c> (what certificates name in their CRL distribution point).</param>
    public RevocationIssuer(Hierarchy hierarchy, X509Certificate2 certificate, RSA key, string? crlBaseUrl = null)
    {
        CrlBaseUrl = crlBaseUrl ?? $"http://127.0.0.1:5080/crl/{hierarchy.WireName()}";
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        Hierarchy = hierarchy;
        Certificate = certificate;
        Key = key;
        Name = certificate.SubjectName.RawData.ToArray();

        // The subjectPublicKey BIT STRING's value (RFC 6960 §4.1.1 issuerKeyHash, RFC 5280 §4.2.1.2 method 1).
        var keyBits = certificate.PublicKey.EncodedKeyValue.RawData;
#pragma warning disable CA5350 // SHA-1 is what RFC 5019 clients put in CertID and the responderID KeyHash; not used for signing.
        NameHashSha1 = SHA1.HashData(Name);
        KeyHashSha1 = SHA1.HashData(keyBits);
#pragma warning restore CA5350
        NameHashSha256 = SHA256.HashData(Name);
        KeyHashSha256 = SHA256.HashData(keyBits);
        KeyIdentifier = MobileJpki.Core.Delegation.DelegatedIssuer.KeyIdentifierOf(certificate);
    }

    public Hierarchy Hierarchy { get; }

    /// <summary><c>{BaseUrl}/crl/{h}</c>: partition <c>n</c> is at <c>{CrlBaseUrl}/{n}.crl</c>.</summary>
    public string CrlBaseUrl { get; }

    public X509Certificate2 Certificate { get; }

    public RSA Key { get; }

    /// <summary>The CA's subject name, DER (the issuer of its certificates and CRLs).</summary>
    public byte[] Name { get; }

    public byte[] NameHashSha1 { get; }

    public byte[] KeyHashSha1 { get; }

    public byte[] NameHashSha256 { get; }

    public byte[] KeyHashSha256 { get; }

    /// <summary>The CA's subjectKeyIdentifier (the CRL's authorityKeyIdentifier).</summary>
    public byte[] KeyIdentifier { get; }

    /// <summary>The URL of CRL partition <paramref name="partition"/>, as written in the certificates' CRL distribution point and the partition's issuingDistributionPoint.</summary>
    public string CrlPartitionUrl(int partition) => $"{CrlBaseUrl}/{partition}.crl";

    /// <summary>sha256WithRSAEncryption, PKCS#1 v1.5, like every certificate the CA signs.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> toBeSigned) => Key.SignData(toBeSigned, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}
