using System.Security.Cryptography;
using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

public class JpkiClientTests
{
    [Fact]
    public void ReadTokenLabel_Card_JpkiapIccToken2()
    {
        var client = new JpkiClient(Fresh().Applet);
        client.SelectAp();
        Assert.Equal("JPKIAPICCTOKEN2", client.ReadTokenLabel());
    }

    [Fact]
    public void ReadCertificate_ChunkedRead_ReconstructsCertificate()
    {
        var card = Fresh();
        var (signing, auth) = InstallCertificates(card);
        var client = new JpkiClient(card.Applet);

        var read = client.ReadFile(JpkiFiles.AuthCertificate);
        Assert.True(read.Length > 256);
        Assert.Equal(auth.RawData, read);
        Assert.Equal(auth.Thumbprint, client.ReadCertificate(JpkiFiles.AuthCertificate).Thumbprint);
        Assert.NotNull(client.ReadCertificate(JpkiFiles.AuthCaCertificate));
        Assert.NotNull(client.ReadCertificate(JpkiFiles.SigningCaCertificate));

        var denied = Assert.Throws<JpkiCardException>(() => client.ReadFile(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, denied.Sw);
        Assert.True(client.Verify(PinKind.Signing, SigningPassword.ToLowerInvariant()).Verified);
        Assert.Equal(signing.RawData, client.ReadFile(JpkiFiles.SigningCertificate));
    }

    [Fact]
    public void ReadFile_MissingEf_ThrowsFileNotFound()
    {
        var client = new JpkiClient(VirtualCard.CreateBlank(SigningPassword, AuthPin).Applet);
        var e = Assert.Throws<JpkiCardException>(() => client.ReadFile(JpkiFiles.AuthCertificate));
        Assert.Equal(StatusWords.FileNotFound, e.Sw);
    }

    [Fact]
    public void Verify_CountsDownLocksAndReportsStatus()
    {
        var client = new JpkiClient(Fresh().Applet);
        Assert.Equal(new PinStatus(false, 3, false), client.GetPinStatus(PinKind.Auth));
        Assert.Equal(new PinStatus(false, 2, false), client.Verify(PinKind.Auth, "0000"));
        Assert.Equal(new PinStatus(false, 1, false), client.Verify(PinKind.Auth, "0000"));
        Assert.Equal(new PinStatus(false, 0, true), client.Verify(PinKind.Auth, "0000"));
        Assert.Equal(new PinStatus(false, 0, true), client.Verify(PinKind.Auth, AuthPin));
        Assert.Equal(new PinStatus(false, 0, true), client.GetPinStatus(PinKind.Auth));
    }

    [Fact]
    public void Verify_PolicyViolation_ThrowsWithoutSpendingATry()
    {
        var client = new JpkiClient(Fresh().Applet);
        Assert.Throws<ArgumentException>(() => client.Verify(PinKind.Signing, "abc"));
        Assert.Throws<ArgumentException>(() => client.Verify(PinKind.Auth, "12345"));
        Assert.Equal(5, client.GetPinStatus(PinKind.Signing).TriesLeft);
        Assert.Equal(3, client.GetPinStatus(PinKind.Auth).TriesLeft);
    }

    [Fact]
    public void ChangePin_AfterVerify_NewPinWorks()
    {
        var card = Fresh();
        var client = new JpkiClient(card.Applet);
        var e = Assert.Throws<JpkiCardException>(() => client.ChangePin(PinKind.Auth, "5678"));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, e.Sw);

        client.Verify(PinKind.Auth, AuthPin);
        client.ChangePin(PinKind.Auth, "5678");
        client.SelectAp();
        Assert.False(client.Verify(PinKind.Auth, AuthPin).Verified);
        Assert.True(client.Verify(PinKind.Auth, "5678").Verified);
    }

    [Fact]
    public void SignDigestInfo_WithoutPin_ThrowsSecurityStatus()
    {
        var client = new JpkiClient(Fresh().Applet);
        var e = Assert.Throws<JpkiCardException>(() =>
            client.SignDigestInfo(PinKind.Signing, DigestInfos.Build(HashAlgorithmName.SHA256, new byte[32])));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, e.Sw);
    }
}
