using System.Security.Cryptography;

namespace MobileJpki.Pki.Tests;

public sealed class SubjectPublicKeyInfosTests
{
    [Fact]
    public void TryValidateRsa2048_Rsa2048With65537_IsAccepted()
    {
        Assert.True(SubjectPublicKeyInfos.TryValidateRsa2048(PkiTestContext.SubjectKey, out var error));
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void TryValidateRsa2048_OtherSizes_AreRejected()
    {
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048(PkiTestContext.NewRsaSpki(1024), out var small));
        Assert.Contains("1024", small, StringComparison.Ordinal);
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048(PkiTestContext.NewRsaSpki(3072), out var large));
        Assert.Contains("3072", large, StringComparison.Ordinal);
    }

    [Fact]
    public void TryValidateRsa2048_EcKey_IsRejected()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048(ec.ExportSubjectPublicKeyInfo(), out var error));
        Assert.Contains("RSA", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(65539)]
    public void TryValidateRsa2048_OtherExponents_AreRejected(int exponent)
    {
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048(Der.RsaSpkiWithExponent(PkiTestContext.SubjectKey, exponent), out var error));
        Assert.Contains("exponent", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryValidateRsa2048_MalformedInput_IsRejectedWithoutThrowing()
    {
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048([], out _));
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048([0x30, 0x82, 0xFF], out _));
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048([.. PkiTestContext.SubjectKey, 0x00], out _));
        Assert.False(SubjectPublicKeyInfos.TryValidateRsa2048(PkiTestContext.SubjectKey[..^1], out _));
    }
}
