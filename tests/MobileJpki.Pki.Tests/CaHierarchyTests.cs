using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

public sealed class CaHierarchyTests : IDisposable
{
    private readonly PkiTestContext _pki = new(freshKeys: true);

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData(Hierarchy.Signing, "sign", "MobileJpki for digital signature")]
    [InlineData(Hierarchy.Auth, "auth", "MobileJpki for user authentication")]
    public void LoadOrCreate_FirstStart_CreatesASelfSignedSandboxRoot(Hierarchy hierarchy, string wire, string unit)
    {
        var root = _pki.Ca.CertificateFor(hierarchy);

        Assert.Equal(File.ReadAllBytes(Path.Combine(_pki.Directory, "ca", wire + ".cer")), root.RawData);
        Assert.Equal($"C=JP, O=JPKI Sandbox, OU={unit}, OU=MobileJpki Sandbox Agency (not J-LIS)", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        Assert.Equal("1.2.840.113549.1.1.11", root.SignatureAlgorithm.Value);
        Assert.Equal(2048, root.GetRSAPublicKey()!.KeySize);
        Assert.Equal(16, root.SerialNumberBytes.Length);

        var constraints = Assert.Single(root.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.Critical);
        Assert.True(constraints.CertificateAuthority);
        var keyUsage = Assert.Single(root.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(keyUsage.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, keyUsage.KeyUsages);
        Assert.Single(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>());

        var (tbs, _, signature) = Der.SplitCertificate(root.RawData);
        Assert.True(root.GetRSAPublicKey()!.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(root.PublicKey.ExportSubjectPublicKeyInfo(), _pki.Ca.SignerFor(hierarchy).ExportSubjectPublicKeyInfo());

        Assert.Equal(new DateTimeOffset(2025, 4, 1, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(root.NotBefore.ToUniversalTime()));
        Assert.Equal(new DateTimeOffset(2045, 4, 1, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(root.NotAfter.ToUniversalTime()));
    }

    [Fact]
    public void LoadOrCreate_TwoHierarchies_HaveDifferentKeys()
    {
        Assert.NotEqual(
            _pki.Ca.CertificateFor(Hierarchy.Signing).PublicKey.ExportSubjectPublicKeyInfo(),
            _pki.Ca.CertificateFor(Hierarchy.Auth).PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadOrCreate_SecondStart_LoadsTheSameRootsAndKeys()
    {
        var later = new FakeTimeProvider(PkiTestContext.DefaultNow.AddDays(30));

        using var reloaded = CaHierarchy.LoadOrCreate(_pki.Options, _pki.Keys, later);

        foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
        {
            Assert.Equal(_pki.Ca.CertificateFor(hierarchy).RawData, reloaded.CertificateFor(hierarchy).RawData);
            byte[] data = [42];
            var signature = reloaded.SignerFor(hierarchy).SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            Assert.True(_pki.Ca.CertificateFor(hierarchy).GetRSAPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        // Loading must not sign anything (no new root was minted).
        Assert.Equal(2, _pki.Keys.Signatures);
    }

    [Fact]
    public void LoadOrCreate_CertificateWithoutKey_FailsClearly()
    {
        File.Delete(Path.Combine(_pki.Directory, "keys", "ca-auth.key.pem"));

        var error = Assert.Throws<MjpkiException>(() => CaHierarchy.LoadOrCreate(_pki.Options, _pki.Keys, _pki.Time));

        Assert.Equal("ca-key-missing", error.Code);
        Assert.Contains("soft:ca-auth", error.Message, StringComparison.Ordinal);
        Assert.Contains("auth.cer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_KeyOfAnotherRoot_IsAMismatch()
    {
        var options = new PkiOptions { DataDirectory = _pki.Directory, SigningCaKeyUri = "soft:ca-auth", AuthCaKeyUri = "soft:ca-other" };
        var provider = SoftwareKeyProvider.InDataDirectory(options);
        provider.CreateKey("soft:ca-other").Dispose();

        Assert.Equal("ca-key-mismatch", Assert.Throws<MjpkiException>(() => CaHierarchy.LoadOrCreate(options, provider, _pki.Time)).Code);
    }

    [Fact]
    public void LoadOrCreate_KeyWithoutCertificate_ReusesTheKey()
    {
        var key = _pki.Ca.CertificateFor(Hierarchy.Auth).PublicKey.ExportSubjectPublicKeyInfo();
        File.Delete(Path.Combine(_pki.Directory, "ca", "auth.cer"));

        using var recreated = CaHierarchy.LoadOrCreate(_pki.Options, _pki.Keys, _pki.Time);

        Assert.Equal(key, recreated.CertificateFor(Hierarchy.Auth).PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(_pki.Ca.CertificateFor(Hierarchy.Signing).RawData, recreated.CertificateFor(Hierarchy.Signing).RawData);
    }

    [Fact]
    public void LoadOrCreate_ProvisionedKeyOfWrongSize_IsRejectedBeforeMintingARoot()
    {
        var options = new PkiOptions { DataDirectory = Path.Combine(_pki.Directory, "other") };
        var keys = Directory.CreateDirectory(Path.Combine(options.DataDirectory, "keys")).FullName;
        using (var small = RSA.Create(1024))
        {
            File.WriteAllText(Path.Combine(keys, "ca-sign.key.pem"), small.ExportPkcs8PrivateKeyPem());
        }

        var error = Assert.Throws<MjpkiException>(() => CaHierarchy.LoadOrCreate(options, SoftwareKeyProvider.InDataDirectory(options), _pki.Time));

        Assert.Equal("ca-key-invalid", error.Code);
        Assert.False(File.Exists(Path.Combine(options.DataDirectory, "ca", "sign.cer")));
    }

    [Fact]
    public void Urls_AreBuiltFromTheBaseUrlWithoutDoubleSlashes()
    {
        Assert.Equal("http://ca.example.test:5080/ca/sign.cer", _pki.Ca.CaIssuersUrl(Hierarchy.Signing));
        Assert.Equal("http://ca.example.test:5080/ocsp/auth", _pki.Ca.OcspUrl(Hierarchy.Auth));
        Assert.Equal("http://ca.example.test:5080/crl/sign.crl", _pki.Ca.CrlUrl(Hierarchy.Signing));
    }

    public static TheoryData<string, PkiOptions> InvalidOptions => new()
    {
        { "relative base", new PkiOptions { BaseUrl = "/ca" } },
        { "ftp base", new PkiOptions { BaseUrl = "ftp://x" } },
        { "query", new PkiOptions { BaseUrl = "http://x/?a=1" } },
        { "zero years", new PkiOptions { CaValidityYears = 0 } },
        { "shared key", new PkiOptions { AuthCaKeyUri = "soft:ca-sign" } },
        { "no directory", new PkiOptions { DataDirectory = " " } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Validate_BadOptions_FailAtStart(string scenario, PkiOptions options)
    {
        var error = Assert.Throws<MjpkiException>(options.Validate);

        Assert.True(error.Code == "invalid-pki-options", scenario);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new PkiOptions();

        options.Validate();
        Assert.Equal("http://127.0.0.1:5080", options.BaseUrl);
        Assert.Equal("./data", options.DataDirectory);
        Assert.Equal("soft:ca-sign", options.SigningCaKeyUri);
        Assert.Equal("soft:ca-auth", options.AuthCaKeyUri);
        Assert.Equal(20, options.CaValidityYears);
    }
}
