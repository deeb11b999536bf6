using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Device;

/// <summary>The emulated SE maker's factory: issues each new SE its device attestation certificate.</summary>
/// <remarks>SANDBOX ONLY. The root key is an embedded, published resource, so these attestations prove nothing outside a sandbox.</remarks>
internal static class SandboxMakerCa
{
    private const string KeyResource = "MobileJpki.Device.SeMakerRootKey.SandboxOnly.pem";
    private static readonly Lazy<string> KeyPem = new(LoadKeyPem);

    public static X509Certificate2 IssueDeviceCertificate(string secureElementId, string maker, RSA deviceKey, TimeProvider time)
    {
        using var root = SeMakerRoots.Default;
        using var rootKey = RSA.Create();
        rootKey.ImportFromPem(KeyPem.Value);

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

    private static string LoadKeyPem()
    {
        using var stream = typeof(SandboxMakerCa).Assembly.GetManifestResourceStream(KeyResource)
            ?? throw new InvalidOperationException($"Resource {KeyResource} is missing from MobileJpki.Device.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
