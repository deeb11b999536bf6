using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>What every certificate of one root repeats, read from the root certificate and encoded once at load.</summary>
/// <remarks>
/// The issuer copies <see cref="TrailingExtensions"/> into each TBSCertificate; the linter never looks at them; it
/// decodes what was written and compares it with <see cref="Name"/>, <see cref="KeyIdentifier"/> and the URLs.
/// Immutable, so one instance serves concurrent requests.
/// </remarks>
internal sealed class IssuingCa
{
    private readonly IReadOnlyList<byte[]>[] _partitionExtensions;

    public IssuingCa(Hierarchy hierarchy, X509Certificate2 certificate, X509SubjectKeyIdentifierExtension keyIdentifier, string baseUrl, int crlPartitions = 0)
    {
        CrlPartitions = crlPartitions;
        CrlPartitionBaseUrl = $"{baseUrl}/crl/{hierarchy.WireName()}";
        Hierarchy = hierarchy;
        Name = certificate.SubjectName.RawData.ToArray();
        KeyIdentifier = keyIdentifier.SubjectKeyIdentifierBytes.ToArray();
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        CaIssuersUrl = $"{baseUrl}/ca/{hierarchy.WireName()}.cer";
        OcspUrl = $"{baseUrl}/ocsp/{hierarchy.WireName()}";
        CrlUrl = $"{baseUrl}/crl/{hierarchy.WireName()}.crl";

        // Encoded by the BCL's own extension types, in the order issued certificates have always carried them.
        TrailingExtensions =
        [
            X509Encoding.EncodeExtension(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(keyIdentifier)),
            X509Encoding.EncodeExtension(new X509AuthorityInformationAccessExtension([OcspUrl], [CaIssuersUrl])),
            X509Encoding.EncodeExtension(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([CrlUrl])),
        ];
        _partitionExtensions = [.. Enumerable.Range(0, crlPartitions).Select(n => (IReadOnlyList<byte[]>)
        [
            TrailingExtensions[0],
            TrailingExtensions[1],
            X509Encoding.EncodeExtension(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([CrlPartitionUrl(n)])),
        ])];
    }

    /// <summary>How many CRL partitions new certificates are spread over (0: none, the CDP names the complete CRL).</summary>
    public int CrlPartitions { get; }

    /// <summary><c>{BaseUrl}/crl/{h}</c>: partition <c>n</c> is at <c>{CrlPartitionBaseUrl}/{n}.crl</c>.</summary>
    public string CrlPartitionBaseUrl { get; }

    public string CrlPartitionUrl(int partition) => $"{CrlPartitionBaseUrl}/{partition}.crl";

    /// <summary>The trailing extensions of a certificate in CRL partition <paramref name="partition"/> (null: the complete CRL's).</summary>
    public IReadOnlyList<byte[]> TrailingExtensionsFor(int? partition) => partition is { } n ? _partitionExtensions[n] : TrailingExtensions;

    public Hierarchy Hierarchy { get; }

    /// <summary>The root's subject name, DER: the issuer name of everything it signs.</summary>
    public byte[] Name { get; }

    /// <summary>The root's subjectKeyIdentifier value.</summary>
    public byte[] KeyIdentifier { get; }

    public DateTimeOffset NotAfter { get; }

    public string CaIssuersUrl { get; }

    public string OcspUrl { get; }

    public string CrlUrl { get; }

    /// <summary>DER Extension values: authorityKeyIdentifier, authorityInfoAccess, cRLDistributionPoints.</summary>
    public IReadOnlyList<byte[]> TrailingExtensions { get; }
}
