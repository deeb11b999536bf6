using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra.Tests;

/// <summary>A secure-element maker: an RSA-2048 self-signed root that certifies device (attestation) keys.</summary>
internal sealed class SeMaker
{
    private static readonly DateTimeOffset ValidFrom = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lazy<(X509Certificate2 Root, RSA Key)> _root;

    private SeMaker(string subject, int keySlot)
    {
        Name = new X500DistinguishedName(subject);
        _root = new Lazy<(X509Certificate2, RSA)>(() =>
        {
            var key = TestKeys.Rsa(keySlot);
            var request = new CertificateRequest(Name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var root = request.CreateSelfSigned(ValidFrom, ValidFrom.AddYears(40));
            return (X509CertificateLoader.LoadCertificate(root.RawData), key);
        });
    }

    /// <summary>The maker the RA trusts in every harness.</summary>
    public static SeMaker Trusted { get; } = new("CN=Test SE Maker Root, O=Test SE Maker, C=JP", -10);

    /// <summary>Another maker the RA does not trust.</summary>
    public static SeMaker Other { get; } = new("CN=Other SE Maker Root, O=Other SE Maker, C=JP", -11);

    /// <summary>A look-alike of <see cref="Trusted"/>: same name, different key.</summary>
    public static SeMaker Impostor { get; } = new("CN=Test SE Maker Root, O=Test SE Maker, C=JP", -12);

    public X500DistinguishedName Name { get; }

    /// <summary>The root certificate (public part only), as the RA is configured with it.</summary>
    public X509Certificate2 RootCertificate => _root.Value.Root;

    /// <summary>A device (SE) certificate: a CA certificate naming the SE in its serialNumber attribute (none when empty).</summary>
    public (X509Certificate2 Certificate, ECDsa Key) IssueDevice(string secureElementId)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCountryOrRegion("JP");
        name.AddOrganizationName("Test SE Maker devices");
        name.AddCommonName("Secure Element");
        if (secureElementId.Length > 0)
        {
            name.Add("2.5.4.5", secureElementId, System.Formats.Asn1.UniversalTagNumber.PrintableString);
        }

        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var generator = X509SignatureGenerator.CreateForRSA(_root.Value.Key, RSASignaturePadding.Pkcs1);
        using var device = request.Create(Name, generator, ValidFrom.AddDays(1), ValidFrom.AddYears(30), RandomNumberGenerator.GetBytes(12));
        return (X509CertificateLoader.LoadCertificate(device.RawData), key);
    }
}

/// <summary>
/// A phone with an emulated secure element: it "generates" keys inside the SE (they come from <see cref="TestKeys"/>)
/// and proves it with an attestation chain shaped exactly as <see cref="KeyAttestationVerifier"/> expects.
/// </summary>
internal sealed class TestPhone
{
    public const int SigningKeyFid = 0x001A;
    public const int AuthKeyFid = 0x0017;

    private readonly X509Certificate2 _device;
    private readonly ECDsa _deviceKey;

    /// <param name="phoneId">The phone id the app claims; by default also its SE's serial number, so the claim is true.</param>
    /// <param name="keySlot">Phone keys are taken from slots 1000 + 2·keySlot (signing) and the next (auth).</param>
    /// <param name="secureElementId">The serial number the maker certifies, when it is not <paramref name="phoneId"/> (a lying app).</param>
    public TestPhone(string phoneId, int keySlot, string model = RaHarness.Model, SeMaker? maker = null, string? secureElementId = null)
    {
        PhoneId = phoneId;
        Model = model;
        SecureElementId = secureElementId ?? phoneId;
        SigningKey = TestKeys.Rsa(1000 + (2 * keySlot));
        AuthKey = TestKeys.Rsa(1000 + (2 * keySlot) + 1);
        Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        (_device, _deviceKey) = (maker ?? SeMaker.Trusted).IssueDevice(SecureElementId);
    }

    public string PhoneId { get; }

    public string Model { get; }

    public string Os { get; } = "Android 15";

    public string SecureElementId { get; }

    public RSA SigningKey { get; }

    public RSA AuthKey { get; }

    /// <summary>The app's secret for later calls; the application carries its SHA-256.</summary>
    public string Secret { get; }

    public byte[] SigningSpki => SigningKey.ExportSubjectPublicKeyInfo();

    public byte[] AuthSpki => AuthKey.ExportSubjectPublicKeyInfo();

    public byte[] SpkiFor(string kind) => kind == "sign" ? SigningSpki : AuthSpki;

    /// <summary>A complete, valid application for <paramref name="kinds"/> ("sign", "auth") with a fresh nonce.</summary>
    public EnrollmentApplication Apply(DateTimeOffset createdAt, params string[] kinds) => Apply(createdAt, RandomNumberGenerator.GetBytes(32), kinds);

    public EnrollmentApplication Apply(DateTimeOffset createdAt, byte[] nonce, params string[] kinds)
    {
        var challenge = EnrollmentApplication.AttestationChallenge(nonce);
        return new EnrollmentApplication
        {
            Nonce = Convert.ToBase64String(nonce),
            CreatedAt = createdAt,
            Device = new DeviceFacts { PhoneId = PhoneId, Model = Model, Os = Os },
            DeviceSecretHash = Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Secret))),
            Keys = kinds.Select(k => Key(k, k == "auth" ? AuthKey : SigningKey, challenge)).ToArray(),
        };
    }

    /// <summary>One key entry: the SPKI and the chain [key attestation certificate, device certificate].</summary>
    public ApplicationKey Key(string kind, RSA key, byte[] challenge, KeyOrigin origin = KeyOrigin.GeneratedInsideSecureElement) => new()
    {
        Kind = kind,
        PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
        Attestation =
        [
            Convert.ToBase64String(Attest(key, challenge, kind == "auth" ? AuthKeyFid : SigningKeyFid, origin)),
            Convert.ToBase64String(_device.RawData),
        ],
    };

    /// <summary>The key attestation certificate: the attested key, signed by the device key, with the attestation extension.</summary>
    public byte[] Attest(RSA key, byte[] challenge, int fid, KeyOrigin origin = KeyOrigin.GeneratedInsideSecureElement)
    {
        var data = new KeyAttestationData(challenge, SecureElementId.Length > 0 ? SecureElementId : "unnamed", fid, origin);
        var request = new CertificateRequest(new X500DistinguishedName("CN=JPKI key attestation"), new PublicKey(key), HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509Extension(Oids.KeyAttestation, data.Encode(), critical: false));
        var generator = X509SignatureGenerator.CreateForECDsa(_deviceKey);
        using var leaf = request.Create(_device.SubjectName, generator, _device.NotBefore.AddDays(1), _device.NotAfter.AddDays(-1), RandomNumberGenerator.GetBytes(12));
        return leaf.RawData;
    }
}
