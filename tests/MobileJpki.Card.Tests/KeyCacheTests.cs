using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Card.Tests;

/// <summary>The applet keeps its keys imported between signatures; a key replaced in the same card is used at once, and the PIN still comes first.</summary>
public sealed class KeyCacheTests
{
    [Fact]
    public void SignDigestInfo_KeyReplacedAfterASignature_NewKeySignsOldOneNever()
    {
        var card = TestCards.Fresh();
        var client = new JpkiClient(card.Applet);
        var hash = SHA256.HashData("ログイン"u8);
        var digestInfo = DigestInfos.Build(HashAlgorithmName.SHA256, hash);
        Assert.True(client.Verify(PinKind.Signing, TestCards.SigningPassword).Verified);
        var before = client.SignDigestInfo(PinKind.Signing, digestInfo);
        var (ca, caKey) = TestCards.CreateCa("JPKI for digital signature");
        using var caKeyScope = caKey;

        var spki = card.GenerateReplacementKey(PinKind.Signing);
        using var cert = TestCards.IssueFor(spki, ca, "CN=Replaced, C=JP");
        card.InstallReplacementCertificates([(PinKind.Signing, cert.RawData, ca.RawData)]);

        var again = new JpkiClient(card.Applet);
        card.Applet.Reset();
        Assert.ThrowsAny<JpkiCardException>(() => again.SignDigestInfo(PinKind.Signing, digestInfo));
        Assert.True(again.Verify(PinKind.Signing, TestCards.SigningPassword).Verified);
        var after = again.SignDigestInfo(PinKind.Signing, digestInfo);
        using var newKey = cert.GetRSAPublicKey()!;
        Assert.True(newKey.VerifyHash(hash, after, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.False(newKey.VerifyHash(hash, before, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }
}
