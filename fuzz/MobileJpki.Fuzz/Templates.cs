using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Device;

namespace MobileJpki.Fuzz;

/// <summary>
/// A card and two phones made once (key generation is slow) and saved to files, so that every input starts from the
/// same state: a fresh copy is loaded for each. With MJPKI_FUZZ_TEMPLATES set, the files are kept in that folder and
/// reused by later processes: afl-fuzz restarts the harness after each crash, and a restart must not cost key
/// generation inside afl's time limit.
/// </summary>
internal static class Templates
{
    public const string SigningPassword = "ABC123";
    public const string AuthPin = "1234";
    public const string PhoneModel = "pixel-8";

    /// <summary>The clock every harness uses: a fixed instant, so that runs repeat.</summary>
    public static readonly DateTimeOffset Now = new(2026, 4, 1, 1, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<string> Directory = new(() =>
        Environment.GetEnvironmentVariable("MJPKI_FUZZ_TEMPLATES") is { Length: > 0 } kept
            ? System.IO.Directory.CreateDirectory(kept).FullName
            : System.IO.Directory.CreateTempSubdirectory("mjpki-fuzz-").FullName);

    private static readonly Lazy<RSA> CaKey = new(() => RSA.Create(2048));

    private static readonly Lazy<string> CardFile = new(() => Kept("card.json", CreateCard));
    private static readonly Lazy<string> FreshPhoneFile = new(() => Kept("phone-fresh.json", path => CreatePhone(path, provision: false)));
    private static readonly Lazy<string> ProvisionedPhoneFile = new(() => Kept("phone-provisioned.json", path => CreatePhone(path, provision: true)));

    public static TimeProvider Clock { get; } = new FixedClock(Now);

    /// <summary>A card with keys, PINs and the four certificates, as the municipal office hands it out.</summary>
    public static VirtualCard Card() => VirtualCard.Load(CardFile.Value);

    /// <summary>A new phone (nothing provisioned) or one whose SE holds both keys, their certificates and both PINs.</summary>
    public static VirtualPhone Phone(bool provisioned) => VirtualPhone.Load(provisioned ? ProvisionedPhoneFile.Value : FreshPhoneFile.Value, Clock);

    public static X509Certificate2 IssueFor(byte[] subjectPublicKeyInfo, string subject)
    {
        var caRequest = new CertificateRequest($"CN=Fuzz CA for {subject}, O=JPKI, C=JP", CaKey.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(10));
        var key = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.Create(ca, Now.AddDays(-1), Now.AddYears(1), RandomNumberGenerator.GetBytes(8));
    }

    public static X509Certificate2 SelfSignedCa(string subject)
    {
        var request = new CertificateRequest(subject, CaKey.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(10));
    }

    /// <summary>The template's path; made (written aside, then moved into place) when no earlier process left it.</summary>
    private static string Kept(string name, Action<string> create)
    {
        var path = Path.Combine(Directory.Value, name);
        if (!File.Exists(path))
        {
            var aside = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            create(aside);
            File.Move(aside, path, overwrite: true);
        }

        return path;
    }

    private static void CreateCard(string path)
    {
        var card = VirtualCard.CreateBlank(SigningPassword, AuthPin);
        using var signingCa = SelfSignedCa("CN=JPKI for digital signature, O=JPKI, C=JP");
        using var authCa = SelfSignedCa("CN=JPKI for user authentication, O=JPKI, C=JP");
        using var signing = IssueFor(card.SigningPublicKeyInfo, "CN=Fuzz Signer, C=JP");
        using var auth = IssueFor(card.AuthPublicKeyInfo, "CN=Fuzz Auth, C=JP");
        card.InstallCertificates(signing.RawData, signingCa.RawData, auth.RawData, authCa.RawData);
        card.Save(path);
    }

    private static void CreatePhone(string path, bool provision)
    {
        var phone = VirtualPhone.Create(PhoneModel, Clock);
        if (provision)
        {
            var client = new SecureElementClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
            client.Jpki.SelectAp();
            foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
            {
                using var attestation = client.GenerateKeyPair(kind, new byte[SecureElementCommands.ChallengeLength]);
                client.SetPin(kind, kind == PinKind.Signing ? SigningPassword : AuthPin);
                using var certificate = IssueFor(attestation.PublicKey.ExportSubjectPublicKeyInfo(), $"CN=Fuzz Phone {kind}, C=JP");
                client.PutCertificate(JpkiFiles.CertificateFid(kind), certificate.RawData);
            }
        }

        phone.Save(path);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
