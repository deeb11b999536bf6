using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Delegation;
using MobileJpki.Core.SeManagement;

namespace MobileJpki.Device.Tests;

internal static class TestPhones
{
    public const string SigningPassword = "PHONE1";
    public const string AuthPin = "4321";

    public static readonly DateTimeOffset Now = new(2026, 4, 1, 3, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<X509Certificate2> Ca = new(CreateCa);

    public static FakeTimeProvider Clock() => new(Now);

    public static VirtualPhone Create(string model = "pixel-8") => VirtualPhone.Create(model, Clock());

    public static SecureElementClient Client(VirtualPhone phone) => new(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));

    public static string TempPath() => Path.Combine(Path.GetTempPath(), "mjpki-device-tests", Guid.NewGuid().ToString("N") + ".json");

    public static X509Certificate2 CaCertificate => Ca.Value;

    public static X509Certificate2 IssueFor(X509Certificate2 attestation, string subject)
    {
        var request = new CertificateRequest(new X500DistinguishedName(subject), attestation.PublicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.Create(Ca.Value, Now.AddMinutes(-1), Now.AddYears(1), RandomNumberGenerator.GetBytes(8));
    }

    /// <summary>Apply + register, as the portal app does it: keys with attestation, PINs, then certificates.</summary>
    public static (X509Certificate2 Signing, X509Certificate2 Auth) Provision(SecureElementClient client)
    {
        var signingAttestation = client.GenerateKeyPair(PinKind.Signing, RandomNumberGenerator.GetBytes(32));
        var authAttestation = client.GenerateKeyPair(PinKind.Auth, RandomNumberGenerator.GetBytes(32));
        client.SetPin(PinKind.Signing, SigningPassword);
        client.SetPin(PinKind.Auth, AuthPin);
        var signing = IssueFor(signingAttestation, "CN=Phone Signing");
        var auth = IssueFor(authAttestation, "CN=Phone Auth");
        client.PutCertificate(JpkiFiles.SigningCaCertificate, Ca.Value.RawData);
        client.PutCertificate(JpkiFiles.SigningCertificate, signing.RawData);
        client.PutCertificate(JpkiFiles.AuthCaCertificate, Ca.Value.RawData);
        client.PutCertificate(JpkiFiles.AuthCertificate, auth.RawData);
        return (signing, auth);
    }

    /// <summary>The SE management certificates of <paramref name="ca"/> (default: the CA the phones are registered under), as the server issues them.</summary>
    public static DelegatedCertificates<DelegatedSigner> Management(TimeProvider clock, X509Certificate2? ca = null)
    {
        ca ??= Ca.Value;
        var key = ca.GetRSAPrivateKey()!;
        return SeManagementCertificates.Create([new DelegatedIssuer(Hierarchy.Signing, ca, key), new DelegatedIssuer(Hierarchy.Auth, ca, key)], null, clock);
    }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo of the registered key of <paramref name="kind"/>: how a reset authorisation names this SE.</summary>
    public static byte[] KeyIdentity(VirtualPhone phone, PinKind kind)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(phone.SecureElement.CertificateDer(kind)!);
        return PinResetAuthorization.KeyIdentityOf(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>What the server hands out after the card check: a reset authorisation for this SE's key, the kind and the challenge.</summary>
    public static byte[] Grant(VirtualPhone phone, PinKind kind, byte[] challenge, DelegatedSigner signer) =>
        PinResetAuthorization.Issue(signer, JpkiFiles.PinFid(kind), KeyIdentity(phone, kind), challenge);

    /// <summary>A new self-signed CA (another hierarchy, or an attacker's).</summary>
    public static X509Certificate2 NewCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(10));
    }

    private static X509Certificate2 CreateCa() => NewCa("CN=Test JPKI CA, O=JPKI, C=JP");
}
