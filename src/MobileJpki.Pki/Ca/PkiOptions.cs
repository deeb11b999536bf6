using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Settings of the certificate authority; <see cref="Validate"/> runs at start so bad configuration fails early.</summary>
public sealed class PkiOptions
{
    /// <summary>Public base URL put into AIA, OCSP and CRL distribution point URLs. Default <c>http://127.0.0.1:5080</c>.</summary>
    public string BaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Where CA certificates (<c>ca/</c>) and software keys (<c>keys/</c>) live. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Key URI of the "for digital signature" root. Default <c>soft:ca-sign</c>.</summary>
    public string SigningCaKeyUri { get; set; } = "soft:ca-sign";

    /// <summary>Key URI of the "for user authentication" root. Default <c>soft:ca-auth</c>.</summary>
    public string AuthCaKeyUri { get; set; } = "soft:ca-auth";

    /// <summary>Lifetime of a newly created root, 1–50 years. Default 20.</summary>
    public int CaValidityYears { get; set; } = 20;

    /// <summary>
    /// CRL partitions, 0–1024 (docs/revocation.md, "Partitioned CRLs"). Above 0, each new certificate names one
    /// partition, <c>/crl/{h}/{n}.crl</c>, in its CRL distribution point instead of the complete CRL. Default 0.
    /// </summary>
    public int CrlPartitions { get; set; }

    public string KeyUriFor(Hierarchy hierarchy) => hierarchy == Hierarchy.Signing ? SigningCaKeyUri : AuthCaKeyUri;

    /// <summary>Throws <see cref="MjpkiException"/> ("invalid-pki-options") naming the first bad setting.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw Invalid($"{nameof(BaseUrl)} must be an absolute http(s) URL without query or fragment, got '{BaseUrl}'.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw Invalid($"{nameof(DataDirectory)} must be set.");
        }

        if (string.IsNullOrWhiteSpace(SigningCaKeyUri) || string.IsNullOrWhiteSpace(AuthCaKeyUri))
        {
            throw Invalid($"{nameof(SigningCaKeyUri)} and {nameof(AuthCaKeyUri)} must be set.");
        }

        if (string.Equals(SigningCaKeyUri, AuthCaKeyUri, StringComparison.Ordinal))
        {
            // Sharing one key would make the two hierarchies indistinguishable to relying parties.
            throw Invalid($"{nameof(SigningCaKeyUri)} and {nameof(AuthCaKeyUri)} must name different keys.");
        }

        if (CrlPartitions is < 0 or > 1024)
        {
            throw Invalid($"{nameof(CrlPartitions)} must be between 0 and 1024, got {CrlPartitions}.");
        }

        if (CaValidityYears is < 1 or > 50)
        {
            throw Invalid($"{nameof(CaValidityYears)} must be between 1 and 50, got {CaValidityYears}.");
        }
    }

    private static MjpkiException Invalid(string message) => new(ErrorKind.Internal, "invalid-pki-options", message);
}
