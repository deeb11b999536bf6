using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>The two self-signed sandbox roots (digital signature, user authentication), their keys and public URLs.</summary>
public sealed class CaHierarchy : IDisposable
{
    private readonly Root _signing;
    private readonly Root _auth;
    private readonly IssuingCa _signingIssuer;
    private readonly IssuingCa _authIssuer;

    private CaHierarchy(string baseUrl, Root signing, Root auth, int crlPartitions)
    {
        _signing = signing;
        _auth = auth;
        _signingIssuer = new IssuingCa(Hierarchy.Signing, signing.Certificate, signing.KeyIdentifier, baseUrl, crlPartitions);
        _authIssuer = new IssuingCa(Hierarchy.Auth, auth.Certificate, auth.KeyIdentifier, baseUrl, crlPartitions);
    }

    /// <summary>Loads both roots from <c>{DataDirectory}/ca/{sign|auth}.cer</c>, creating any that is missing.</summary>
    /// <remarks>
    /// A certificate without its key is a hard error (the operator lost or misconfigured the key; silently minting a new
    /// root would orphan every issued certificate). A key without its certificate is reused: that is what a crash
    /// between key generation and writing the certificate, or a key provisioned in an HSM beforehand, leaves behind.
    /// </remarks>
    public static CaHierarchy LoadOrCreate(PkiOptions options, IKeyProvider keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();

        var directory = Path.Combine(options.DataDirectory, "ca");
        PrivateFiles.CreateDirectory(directory);
        var signing = LoadOrCreateRoot(Hierarchy.Signing, options, keys, time, directory);
        try
        {
            var auth = LoadOrCreateRoot(Hierarchy.Auth, options, keys, time, directory);
            return new CaHierarchy(options.BaseUrl.TrimEnd('/'), signing, auth, options.CrlPartitions);
        }
        catch
        {
            signing.Dispose();
            throw;
        }
    }

    /// <summary>The subject (and issuer) name of a root; obviously not the real J-LIS.</summary>
    public static X500DistinguishedName RootName(Hierarchy hierarchy)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCountryOrRegion("JP");
        builder.AddOrganizationName("JPKI Sandbox");
        builder.AddOrganizationalUnitName(hierarchy == Hierarchy.Signing
            ? "MobileJpki for digital signature"
            : "MobileJpki for user authentication");
        builder.AddOrganizationalUnitName("MobileJpki Sandbox Agency (not J-LIS)");
        return builder.Build();
    }

    public X509Certificate2 CertificateFor(Hierarchy hierarchy) => RootFor(hierarchy).Certificate;

    /// <summary>The root's private key. Shared: sign operations on .NET's RSA implementations are safe to run concurrently.</summary>
    public RSA SignerFor(Hierarchy hierarchy) => RootFor(hierarchy).Key;

    /// <summary>The root's subjectKeyIdentifier, which every certificate it issues names as its authorityKeyIdentifier.</summary>
    public X509SubjectKeyIdentifierExtension KeyIdentifierFor(Hierarchy hierarchy) => RootFor(hierarchy).KeyIdentifier;

    public string CaIssuersUrl(Hierarchy hierarchy) => IssuingCaFor(hierarchy).CaIssuersUrl;

    public string OcspUrl(Hierarchy hierarchy) => IssuingCaFor(hierarchy).OcspUrl;

    public string CrlUrl(Hierarchy hierarchy) => IssuingCaFor(hierarchy).CrlUrl;

    /// <summary><c>{BaseUrl}/crl/{h}</c>, the base of the CRL partition URLs <c>…/{n}.crl</c>.</summary>
    public string CrlPartitionBaseUrl(Hierarchy hierarchy) => IssuingCaFor(hierarchy).CrlPartitionBaseUrl;

    /// <summary>The root's issuance constants (name, key identifier, URLs, pre-encoded extensions).</summary>
    internal IssuingCa IssuingCaFor(Hierarchy hierarchy) => hierarchy switch
    {
        Hierarchy.Signing => _signingIssuer,
        Hierarchy.Auth => _authIssuer,
        _ => throw new ArgumentOutOfRangeException(nameof(hierarchy)),
    };

    public void Dispose()
    {
        _signing.Dispose();
        _auth.Dispose();
    }

    private Root RootFor(Hierarchy hierarchy) => hierarchy switch
    {
        Hierarchy.Signing => _signing,
        Hierarchy.Auth => _auth,
        _ => throw new ArgumentOutOfRangeException(nameof(hierarchy)),
    };

    private static Root LoadOrCreateRoot(Hierarchy hierarchy, PkiOptions options, IKeyProvider keys, TimeProvider time, string directory)
    {
        var keyUri = options.KeyUriFor(hierarchy);
        var path = Path.Combine(directory, hierarchy.WireName() + ".cer");
        if (File.Exists(path))
        {
            var certificate = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(path));
            var key = keys.TryGetKey(keyUri);
            if (key is null)
            {
                certificate.Dispose();
                throw new MjpkiException(
                    ErrorKind.Internal,
                    "ca-key-missing",
                    $"The CA certificate {path} exists but its key {KeyProviders.Redact(keyUri)} was not found; restore the key or remove the certificate to start a new hierarchy.");
            }

            return Root.Create(hierarchy, certificate, key, path, keyUri);
        }

        var rootKey = keys.TryGetKey(keyUri) ?? keys.CreateKey(keyUri);
        try
        {
            if (rootKey.KeySize != SubjectPublicKeyInfos.RequiredRsaBits)
            {
                // The sandbox mirrors JPKI's RSA-2048 everywhere; a provisioned key of another size is a configuration error.
                throw new MjpkiException(ErrorKind.Internal, "ca-key-invalid", $"The key {KeyProviders.Redact(keyUri)} is RSA-{rootKey.KeySize}; roots use RSA-2048.");
            }

            var der = CreateSelfSigned(hierarchy, rootKey, options.CaValidityYears, time);
            WriteAtomically(path, der);
            return Root.Create(hierarchy, X509CertificateLoader.LoadCertificate(der), rootKey, path, keyUri);
        }
        catch
        {
            rootKey.Dispose();
            throw;
        }
    }

    private static byte[] CreateSelfSigned(Hierarchy hierarchy, RSA key, int validityYears, TimeProvider time)
    {
        var name = RootName(hierarchy);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var notBefore = Validity.TruncateToSeconds(time.GetUtcNow());
        var generator = X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(name, generator, notBefore, notBefore.AddYears(validityYears), SerialNumbers.New());
        return certificate.RawData;
    }

    private static void WriteAtomically(string path, byte[] contents)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, contents);
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private sealed class Root : IDisposable
    {
        private Root(X509Certificate2 certificate, RSA key, X509SubjectKeyIdentifierExtension keyIdentifier)
        {
            Certificate = certificate;
            Key = key;
            KeyIdentifier = keyIdentifier;
        }

        public X509Certificate2 Certificate { get; }

        public RSA Key { get; }

        public X509SubjectKeyIdentifierExtension KeyIdentifier { get; }

        public static Root Create(Hierarchy hierarchy, X509Certificate2 certificate, RSA key, string path, string keyUri)
        {
            try
            {
                if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                {
                    throw Broken("ca-key-mismatch", $"The key {KeyProviders.Redact(keyUri)} does not belong to the CA certificate {path}.");
                }

                var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault();
                var keyIdentifier = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault();
                if (constraints is not { CertificateAuthority: true } || keyIdentifier is null)
                {
                    throw Broken("ca-certificate-invalid", $"The {hierarchy.WireName()} CA certificate {path} is not a CA certificate with a subject key identifier.");
                }

                return new Root(certificate, key, keyIdentifier);
            }
            catch
            {
                certificate.Dispose();
                key.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Certificate.Dispose();
            Key.Dispose();
        }

        private static MjpkiException Broken(string code, string message) => new(ErrorKind.Internal, code, message);
    }
}
