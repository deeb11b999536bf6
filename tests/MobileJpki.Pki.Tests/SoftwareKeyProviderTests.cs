using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

public sealed class SoftwareKeyProviderTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mjpki-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void CreateKey_ThenTryGetKey_ReturnsTheSameRsa2048Key()
    {
        var provider = new SoftwareKeyProvider(_directory);

        using var created = provider.CreateKey("soft:ca-sign-2");
        using var loaded = provider.TryGetKey("soft:ca-sign-2");

        Assert.NotNull(loaded);
        Assert.Equal(2048, created.KeySize);
        Assert.Equal(created.ExportSubjectPublicKeyInfo(), loaded.ExportSubjectPublicKeyInfo());
        byte[] data = [1, 2, 3];
        var signature = loaded.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.True(created.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void CreateKey_WritesPkcs8PemReadableOnlyByTheOwner()
    {
        var provider = new SoftwareKeyProvider(_directory);

        using var key = provider.CreateKey("soft:k1");

        var path = Path.Combine(_directory, "k1.key.pem");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        }
    }

    [Fact]
    public void TryGetKey_Missing_ReturnsNull()
    {
        Assert.Null(new SoftwareKeyProvider(_directory).TryGetKey("soft:nothing-here"));
    }

    [Fact]
    public void CreateKey_Twice_IsAConflictAndKeepsTheFirstKey()
    {
        var provider = new SoftwareKeyProvider(_directory);
        using var first = provider.CreateKey("soft:once");

        var error = Assert.Throws<MjpkiException>(() => provider.CreateKey("soft:once"));

        Assert.Equal("key-exists", error.Code);
        using var loaded = provider.TryGetKey("soft:once");
        Assert.Equal(first.ExportSubjectPublicKeyInfo(), loaded!.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("soft:")]
    [InlineData("soft:../escape")]
    [InlineData("soft:UPPER")]
    [InlineData("soft:a/b")]
    [InlineData("soft:a.b")]
    [InlineData("soft:name\n")]
    [InlineData("pkcs11:token=x;object=y")]
    [InlineData("ca-sign")]
    public void InvalidUri_IsRejectedWithoutTouchingTheDisk(string uri)
    {
        var provider = new SoftwareKeyProvider(_directory);

        Assert.Equal("invalid-key-uri", Assert.Throws<MjpkiException>(() => provider.CreateKey(uri)).Code);
        Assert.Equal("invalid-key-uri", Assert.Throws<MjpkiException>(() => provider.TryGetKey(uri)).Code);
        Assert.False(SoftwareKeyProvider.IsValidUri(uri));
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public void TryGetKey_CorruptFile_FailsClearly()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "bad.key.pem"), "not a key");

        Assert.Equal("key-unreadable", Assert.Throws<MjpkiException>(() => new SoftwareKeyProvider(_directory).TryGetKey("soft:bad")).Code);
    }
}
