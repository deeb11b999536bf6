using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Card.Tests;

/// <summary>Cards for tests; key generation happens once and each test loads its own copy.</summary>
internal static class TestCards
{
    public const string SigningPassword = "ABC123";
    public const string AuthPin = "1234";

    private static readonly Lazy<string> Template = new(CreateTemplate);

    public static VirtualCard Fresh()
    {
        var path = TempPath();
        File.Copy(Template.Value, path);
        return VirtualCard.Load(path);
    }

    public static string TempPath() => Path.Combine(Path.GetTempPath(), "mjpki-card-tests", Guid.NewGuid().ToString("N") + ".json");

    /// <summary>A self-signed CA certificate that carries its private key.</summary>
    public static (X509Certificate2 Cert, RSA Key) CreateCa(string name)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}, O=JPKI, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = TimeProvider.System.GetUtcNow();
        return (request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5)), key);
    }

    public static X509Certificate2 IssueFor(byte[] subjectPublicKeyInfo, X509Certificate2 ca, string subject)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var request = new CertificateRequest(new X500DistinguishedName(subject), publicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = TimeProvider.System.GetUtcNow();
        return request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(8));
    }

    public static (X509Certificate2 Signing, X509Certificate2 Auth) InstallCertificates(VirtualCard card)
    {
        var (signingCa, signingCaKey) = CreateCa("JPKI for digital signature");
        var (authCa, authCaKey) = CreateCa("JPKI for user authentication");
        using (signingCaKey)
        using (authCaKey)
        {
            var signing = IssueFor(card.SigningPublicKeyInfo, signingCa, "CN=Test Signer, C=JP");
            var auth = IssueFor(card.AuthPublicKeyInfo, authCa, "CN=Test Auth, C=JP");
            card.InstallCertificates(signing.RawData, signingCa.RawData, auth.RawData, authCa.RawData);
            return (signing, auth);
        }
    }

    public static ushort Sw(byte[] response) => (ushort)((response[^2] << 8) | response[^1]);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static ushort Send(IApduChannel channel, string hex) => Sw(channel.Transmit(Hex(hex)));

    private static string CreateTemplate()
    {
        var card = VirtualCard.CreateBlank(SigningPassword, AuthPin);
        InstallCertificates(card);
        var path = TempPath();
        card.Save(path);
        return path;
    }
}
