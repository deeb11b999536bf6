using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Card.Tests;

/// <summary>窓口 operations on a card in hand: PIN reset and re-keying, which no APDU caller can perform.</summary>
public sealed class CounterOperationsTests
{
    [Fact]
    public void ResetPinAtCounter_BlockedAuthPin_NewPinVerifiesWithFullCounterAndPersists()
    {
        var path = TestCards.TempPath();
        TestCards.Fresh().Save(path);
        var card = VirtualCard.Open(path);
        var client = new JpkiClient(card.Applet);
        for (var i = 0; i < 3; i++)
        {
            client.Verify(PinKind.Auth, "9999");
        }

        Assert.True(client.GetPinStatus(PinKind.Auth).Locked);

        card.ResetPinAtCounter(PinKind.Auth, "4321");

        var reloaded = new JpkiClient(VirtualCard.Load(path).Applet);
        Assert.Equal(new PinStatus(false, 3, false), reloaded.GetPinStatus(PinKind.Auth));
        Assert.False(reloaded.Verify(PinKind.Auth, TestCards.AuthPin).Verified);
        Assert.True(reloaded.Verify(PinKind.Auth, "4321").Verified);

        // The other PIN is untouched.
        Assert.True(reloaded.Verify(PinKind.Signing, TestCards.SigningPassword).Verified);
    }

    [Fact]
    public void ResetPinAtCounter_SigningPasswordLowercase_StoredNormalized()
    {
        var card = TestCards.Fresh();

        card.ResetPinAtCounter(PinKind.Signing, "newpass7");

        Assert.True(new JpkiClient(card.Applet).Verify(PinKind.Signing, "NEWPASS7").Verified);
    }

    [Theory]
    [InlineData(PinKind.Auth, "12a4")]
    [InlineData(PinKind.Auth, "12345")]
    [InlineData(PinKind.Signing, "ABCDEF")]
    [InlineData(PinKind.Signing, "AB1")]
    [InlineData(PinKind.Signing, "ABC-123")]
    public void ResetPinAtCounter_PinBreaksPolicy_ThrowsWithRuleNothingChanged(PinKind kind, string pin)
    {
        var path = TestCards.TempPath();
        TestCards.Fresh().Save(path);
        var before = File.ReadAllBytes(path);
        var card = VirtualCard.Open(path);

        var ex = Assert.Throws<ArgumentException>(() => card.ResetPinAtCounter(kind, pin));

        Assert.Contains(kind == PinKind.Auth ? PasswordPolicy.AuthPinRule : PasswordPolicy.SigningPasswordRule, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        var client = new JpkiClient(card.Applet);
        Assert.True(client.Verify(kind, kind == PinKind.Auth ? TestCards.AuthPin : TestCards.SigningPassword).Verified);
    }

    [Fact]
    public void ResetPinAtCounter_SessionHadVerified_VerificationGone()
    {
        var card = TestCards.Fresh();
        var client = new JpkiClient(card.Applet);
        Assert.True(client.Verify(PinKind.Auth, TestCards.AuthPin).Verified);

        card.ResetPinAtCounter(PinKind.Auth, "4321");

        var ex = Assert.Throws<JpkiCardException>(() => client.SignDigestInfo(PinKind.Auth, DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("x"u8))));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, ex.Sw);
    }

    [Fact]
    public void Transmit_ResetRetryCounterApdu_NotSupportedOverTheContactInterface()
    {
        var card = TestCards.Fresh();
        var client = new JpkiClient(card.Applet);
        for (var i = 0; i < 3; i++)
        {
            client.Verify(PinKind.Auth, "9999");
        }

        // RESET RETRY COUNTER (INS 2C) with a new PIN, on the selected auth PIN EF: refused, the PIN stays blocked.
        Assert.Equal(0x9000, TestCards.Send(card.Applet, "00 A4 02 0C 02 0018"));
        Assert.Equal(StatusWords.InsNotSupported, TestCards.Send(card.Applet, "00 2C 02 80 04 34333231"));
        Assert.Equal(StatusWords.InsNotSupported, TestCards.Send(card.Applet, "00 2C 03 80 00"));
        Assert.True(client.GetPinStatus(PinKind.Auth).Locked);
    }

    [Fact]
    public void InstallReplacementCertificates_NewSigningKey_CardSignsWithItAndPersists()
    {
        var path = TestCards.TempPath();
        TestCards.Fresh().Save(path);
        var card = VirtualCard.Load(path);
        var oldSpki = card.SigningPublicKeyInfo;
        var authSpki = card.AuthPublicKeyInfo;
        var (ca, caKey) = TestCards.CreateCa("JPKI for digital signature");
        using var caKeyScope = caKey;

        var spki = card.GenerateReplacementKey(PinKind.Signing);

        // Until the certificate arrives, the card keeps using the old key.
        Assert.Equal(oldSpki, card.SigningPublicKeyInfo);
        Assert.NotEqual(oldSpki, spki);
        using var cert = TestCards.IssueFor(spki, ca, "CN=Moved Signer, C=JP");
        card.InstallReplacementCertificates([(PinKind.Signing, cert.RawData, ca.RawData)]);
        card.Save(path);

        var reloaded = VirtualCard.Load(path);
        Assert.Equal(spki, reloaded.SigningPublicKeyInfo);
        Assert.Equal(authSpki, reloaded.AuthPublicKeyInfo);
        Assert.Equal(cert.RawData, reloaded.CertificateDer(PinKind.Signing));
        var client = new JpkiClient(reloaded.Applet);
        Assert.True(client.Verify(PinKind.Signing, TestCards.SigningPassword).Verified);
        Assert.Equal(cert.RawData, client.ReadFile(JpkiFiles.SigningCertificate));
        Assert.Equal(ca.RawData, client.ReadFile(JpkiFiles.SigningCaCertificate));
        var hash = SHA256.HashData("転居届"u8);
        var signature = client.SignDigestInfo(PinKind.Signing, DigestInfos.Build(HashAlgorithmName.SHA256, hash));
        using var publicKey = cert.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void InstallReplacementCertificates_CertificateForAnotherKey_ThrowsNothingChanged()
    {
        var card = TestCards.Fresh();
        var oldSigning = card.CertificateDer(PinKind.Signing);
        var oldAuth = card.CertificateDer(PinKind.Auth);
        var (ca, caKey) = TestCards.CreateCa("JPKI for digital signature");
        using var caKeyScope = caKey;
        var signingSpki = card.GenerateReplacementKey(PinKind.Signing);
        card.GenerateReplacementKey(PinKind.Auth);
        using var good = TestCards.IssueFor(signingSpki, ca, "CN=Good, C=JP");
        using var other = RSA.Create(2048);
        using var wrong = TestCards.IssueFor(other.ExportSubjectPublicKeyInfo(), ca, "CN=Wrong, C=JP");

        Assert.Throws<ArgumentException>(() => card.InstallReplacementCertificates([(PinKind.Signing, good.RawData, ca.RawData), (PinKind.Auth, wrong.RawData, ca.RawData)]));

        Assert.Equal(oldSigning, card.CertificateDer(PinKind.Signing));
        Assert.Equal(oldAuth, card.CertificateDer(PinKind.Auth));
        Assert.NotEqual(signingSpki, card.SigningPublicKeyInfo);
    }

    [Fact]
    public void InstallReplacementCertificates_NoReplacementKey_Throws()
    {
        var card = TestCards.Fresh();
        var (ca, caKey) = TestCards.CreateCa("JPKI for user authentication");
        using var caKeyScope = caKey;
        using var cert = TestCards.IssueFor(card.AuthPublicKeyInfo, ca, "CN=Same, C=JP");

        Assert.Throws<InvalidOperationException>(() => card.InstallReplacementCertificates([(PinKind.Auth, cert.RawData, ca.RawData)]));
    }
}
