using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Device;

/// <summary>
/// An SE maker's factory CA: its root certificate and the key that issues each new SE its device attestation
/// certificate. <see cref="Sandbox"/> is the emulated maker every <c>mjpki phone new</c> phone comes from; another
/// maker (a test's own root) lets a phone be made whose attestation only a server configured with that root accepts.
/// </summary>
public sealed class SecureElementMaker
{
    private const string KeyResource = "MobileJpki.Device.SeMakerRootKey.SandboxOnly.pem";
    private static readonly Lazy<SecureElementMaker> SandboxMaker = new(LoadSandbox);
    private readonly byte[] _rootDer;
    private readonly byte[] _rootKey;

    /// <param name="root">The maker's root certificate (a CA certificate).</param>
    /// <param name="rootKey">The root's private key.</param>
    public SecureElementMaker(X509Certificate2 root, RSA rootKey)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(rootKey);
        _rootDer = root.RawData;
        _rootKey = rootKey.ExportPkcs8PrivateKey();
    }

    /// <summary>
    /// The emulated maker (<see cref="SeMakerRoots.Default"/>). SANDBOX ONLY: its root key is an embedded, published
    /// resource, so its attestations prove nothing outside a sandbox, and a server trusts it only in sandbox mode.
    /// </summary>
    public static SecureElementMaker Sandbox => SandboxMaker.Value;

    /// <summary>The maker's root certificate; a fresh instance on every call.</summary>
    public X509Certificate2 Root => X509CertificateLoader.LoadCertificate(_rootDer);

    internal X509Certificate2 IssueDeviceCertificate(string secureElementId, string maker, RSA deviceKey, TimeProvider time)
    {
        using var root = Root;
        using var rootKey = RSA.Create();
        rootKey.ImportPkcs8PrivateKey(_rootKey, out _);

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCountryOrRegion("JP");
        subject.AddOrganizationName(maker);
        subject.AddCommonName("MobileJpki Sandbox Secure Element");
        subject.Add("2.5.4.5", secureElementId, UniversalTagNumber.PrintableString);

        var request = new CertificateRequest(subject.Build(), deviceKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));

        // Clamped to the root so that an issued chain is valid wherever the root is, even under a fake clock.
        var now = time.GetUtcNow();
        var notBefore = Max(now.AddMinutes(-5), new DateTimeOffset(root.NotBefore.ToUniversalTime()));
        var notAfter = Min(now.AddYears(25), new DateTimeOffset(root.NotAfter.ToUniversalTime()));
        return request.Create(
            root.SubjectName,
            X509SignatureGenerator.CreateForRSA(rootKey, RSASignaturePadding.Pkcs1),
            notBefore,
            notAfter,
            RandomNumberGenerator.GetBytes(12));
    }

    internal static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    internal static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static SecureElementMaker LoadSandbox()
    {
        using var stream = typeof(SecureElementMaker).Assembly.GetManifestResourceStream(KeyResource)
            ?? throw new InvalidOperationException($"Resource {KeyResource} is missing from MobileJpki.Device.");
        using var reader = new StreamReader(stream);
        using var key = RSA.Create();
        key.ImportFromPem(reader.ReadToEnd());
        using var root = SeMakerRoots.Default;
        return new SecureElementMaker(root, key);
    }
}
