using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;

namespace MobileJpki.Device.Tests;

/// <summary>The SE's side of the lifecycle: lock counts, the password reset command, and what a factory reset keeps.</summary>
public sealed class SecureElementLifecycleTests
{
    [Theory]
    [InlineData(PinKind.Signing, 5, "WRONG1")]
    [InlineData(PinKind.Auth, 3, "0000")]
    public void Verify_WrongPasswordRepeatedly_LocksAfterJpkiCount(PinKind kind, int count, string wrong)
    {
        var phone = TestPhones.Create();
        var client = TestPhones.Client(phone);
        TestPhones.Provision(client);
        client.Jpki.SelectAp();

        for (var i = 1; i < count; i++)
        {
            var miss = client.Jpki.Verify(kind, wrong);
            Assert.False(miss.Verified);
            Assert.Equal(count - i, miss.TriesLeft);
        }

        var last = client.Jpki.Verify(kind, wrong);
        Assert.True(last.Locked);

        // Locked means locked: the right password is refused too (69 83), and the count survives a reload.
        var right = client.Jpki.Verify(kind, kind == PinKind.Signing ? TestPhones.SigningPassword : TestPhones.AuthPin);
        Assert.True(right.Locked);
        Assert.False(right.Verified);
        var path = TestPhones.TempPath();
        phone.Save(path);
        var reloaded = TestPhones.Client(VirtualPhone.Load(path, TestPhones.Clock()));
        reloaded.Jpki.SelectAp();
        Assert.True(reloaded.Jpki.GetPinStatus(kind).Locked);
        File.Delete(path);
    }

    [Fact]
    public void FactoryReset_ProvisionedPhone_KeysCertificatesAndPinsStay()
    {
        var phone = TestPhones.Create();
        var client = TestPhones.Client(phone);
        var (signing, _) = TestPhones.Provision(client);
        phone.App.Values["deviceSecret"] = "x";

        phone.FactoryReset();

        Assert.Empty(phone.App.Values);
        Assert.Equal(signing.RawData, phone.SecureElement.CertificateDer(PinKind.Signing));
        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            Assert.True(phone.SecureElement.HasKey(kind));
            Assert.True(phone.SecureElement.HasPin(kind));
        }

        var after = TestPhones.Client(phone);
        after.Jpki.SelectAp();
        Assert.True(after.Jpki.Verify(PinKind.Signing, TestPhones.SigningPassword).Verified);
        var digestInfo = DigestInfos.Build(System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.SHA256.HashData("after reset"u8));
        var signature = after.Jpki.SignDigestInfo(PinKind.Signing, digestInfo);
        using var key = signing.GetRSAPublicKey()!;
        Assert.True(key.VerifyData("after reset"u8.ToArray(), signature, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1));
    }
}
