using System.Resources;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core.Attestation;

/// <summary>Trusted roots of the secure-element makers whose key attestations the RA accepts.</summary>
/// <remarks>
/// Only the emulated sandbox maker exists today. Its private key ships with MobileJpki.Device so anyone can
/// mint attestations for it: it proves nothing outside a sandbox.
/// </remarks>
public static class SeMakerRoots
{
    private static readonly Lazy<byte[]> DefaultDer = new(LoadDefault);

    /// <summary>The "MobileJpki Sandbox SE Maker Root CA" certificate; a fresh instance on every call.</summary>
    public static X509Certificate2 Default => X509CertificateLoader.LoadCertificate(DefaultDer.Value);

    private static byte[] LoadDefault()
    {
        var resources = new ResourceManager(typeof(SeMakerRoots).FullName!, typeof(SeMakerRoots).Assembly);
        var pem = resources.GetString("SandboxMakerRootPem")
            ?? throw new InvalidOperationException("The sandbox SE maker root resource is missing from the assembly.");
        using var cert = X509Certificate2.CreateFromPem(pem);
        return cert.RawData;
    }
}
