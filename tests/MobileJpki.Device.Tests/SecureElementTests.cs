using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using static MobileJpki.Device.Tests.TestPhones;

namespace MobileJpki.Device.Tests;

public class SecureElementTests
{
    private readonly VirtualPhone phone = Create();

    [Fact]
    public void OpenChannel_OtherApp_AccessDenied()
    {
        var impostor = AppIdentity.PortalApp with { SigningCertSha256 = "00:11" };
        Assert.Throws<SecureElementAccessDeniedException>(() => phone.SecureElement.OpenChannel(impostor));
        Assert.Throws<SecureElementAccessDeniedException>(() => phone.SecureElement.OpenChannel(new AppIdentity("com.example.evil", AppIdentity.PortalApp.SigningCertSha256)));
    }

    [Fact]
    public void ReadTokenLabel_SecureElement_JpkiapGpseToken()
    {
        var client = Client(phone);
        Assert.Equal("JPKIAPGPSETOKEN", client.Jpki.ReadTokenLabel());
    }

    [Fact]
    public void Provision_ThenVerifyAndSign_WorksThroughStandardCommands()
    {
        var client = Client(phone);
        var (signing, auth) = Provision(client);

        var jpki = new JpkiClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        Assert.Equal(auth.RawData, jpki.ReadFile(JpkiFiles.AuthCertificate));
        Assert.Equal(new PinStatus(true, 3, false), jpki.Verify(PinKind.Auth, AuthPin));
        Assert.True(jpki.Verify(PinKind.Signing, SigningPassword.ToLowerInvariant()).Verified);
        Assert.Equal(signing.RawData, jpki.ReadFile(JpkiFiles.SigningCertificate));

        using var key = new JpkiRsa(jpki, PinKind.Signing, signing.GetRSAPublicKey()!.ExportParameters(false));
        var signature = key.SignData("転入届"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.True(signing.GetRSAPublicKey()!.VerifyData("転入届"u8.ToArray(), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Channels_HaveSeparateSessions()
    {
        var first = Client(phone);
        Provision(first);
        first.Jpki.Verify(PinKind.Signing, SigningPassword);
        var second = new JpkiClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        var e = Assert.Throws<JpkiCardException>(() => second.ReadFile(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, e.Sw);
    }

    [Fact]
    public void PutCertificate_NonMatchingKey_WrongDataAndNothingStored()
    {
        var client = Client(phone);
        var attestation = client.GenerateKeyPair(PinKind.Signing, RandomNumberGenerator.GetBytes(32));
        client.GenerateKeyPair(PinKind.Auth, RandomNumberGenerator.GetBytes(32));
        var forSigningKey = IssueFor(attestation, "CN=Wrong EF");

        var e = Assert.Throws<JpkiCardException>(() => client.PutCertificate(JpkiFiles.AuthCertificate, forSigningKey.RawData));
        Assert.Equal(StatusWords.WrongData, e.Sw);
        Assert.False(phone.SecureElement.HasCertificate(PinKind.Auth));
        Assert.Equal(StatusWords.FileNotFound, Assert.Throws<JpkiCardException>(() => client.Jpki.ReadFile(JpkiFiles.AuthCertificate)).Sw);

        client.PutCertificate(JpkiFiles.SigningCaCertificate, CaCertificate.RawData);
        client.PutCertificate(JpkiFiles.SigningCertificate, forSigningKey.RawData);
        Assert.True(phone.SecureElement.HasCertificate(PinKind.Signing));
    }

    [Fact]
    public void PutCertificate_GarbageOrNoKey_Rejected()
    {
        var client = Client(phone);
        var garbage = Assert.Throws<JpkiCardException>(() => client.PutCertificate(JpkiFiles.AuthCaCertificate, new byte[300]));
        Assert.Equal(StatusWords.WrongData, garbage.Sw);

        var noKey = Assert.Throws<JpkiCardException>(() => client.PutCertificate(JpkiFiles.AuthCertificate, CaCertificate.RawData));
        Assert.Equal(StatusWords.ConditionsNotSatisfied, noKey.Sw);
        Assert.Equal(StatusWords.IncorrectP1P2, client.Send(new CommandApdu(0x80, 0xDA, 0x00, 0x06, CaCertificate.RawData, null)).Sw);
    }

    [Fact]
    public void PutCertificate_ExtendedLengthInOneCommand_Stored()
    {
        var client = Client(phone);
        Assert.True(CaCertificate.RawData.Length > 255);
        Assert.Equal(StatusWords.Success, client.Send(new CommandApdu(0x80, 0xDA, 0x00, 0x0B, CaCertificate.RawData, null)).Sw);
        Assert.Equal(CaCertificate.RawData, client.Jpki.ReadFile(JpkiFiles.AuthCaCertificate));
    }

    [Fact]
    public void PutCertificate_ChainInterruptedByOtherFid_LastCommandOfChainExpected()
    {
        var client = Client(phone);
        Assert.Equal(StatusWords.Success, client.Send(new CommandApdu(0x90, 0xDA, 0x00, 0x0B, new byte[100], null)).Sw);
        Assert.Equal(StatusWords.LastCommandOfChainExpected, client.Send(new CommandApdu(0x80, 0xDA, 0x00, 0x02, new byte[100], null)).Sw);
        Assert.Equal(StatusWords.ChainingNotSupported, client.Send(new CommandApdu(0x90, 0x2C, 0x00, 0x18, "1234"u8.ToArray(), null)).Sw);
    }

    [Fact]
    public void SetPin_AfterRegistration_RefusedEvenWhenBlocked()
    {
        var client = Client(phone);
        Provision(client);
        var e = Assert.Throws<JpkiCardException>(() => client.SetPin(PinKind.Auth, "1111"));
        Assert.Equal(StatusWords.ConditionsNotSatisfied, e.Sw);
        Assert.True(client.Jpki.Verify(PinKind.Auth, AuthPin).Verified);

        for (var i = 0; i < 3; i++)
        {
            client.Jpki.Verify(PinKind.Auth, "0000");
        }

        Assert.True(client.Jpki.GetPinStatus(PinKind.Auth).Locked);
        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => client.SetPin(PinKind.Auth, "1111")).Sw);
        Assert.True(client.Jpki.Verify(PinKind.Auth, "1111").Locked);
        Assert.True(client.Jpki.Verify(PinKind.Auth, AuthPin).Locked);
    }

    [Fact]
    public void SetPin_BreaksPolicy_WrongData()
    {
        var client = Client(phone);
        Assert.Equal(StatusWords.WrongData, client.Send(new CommandApdu(0x80, 0x2C, 0x00, 0x1B, "abc123"u8.ToArray(), null)).Sw);
        Assert.Equal(StatusWords.WrongData, client.Send(new CommandApdu(0x80, 0x2C, 0x00, 0x18, "12345"u8.ToArray(), null)).Sw);
        Assert.False(phone.SecureElement.HasPin(PinKind.Signing));
        Assert.False(phone.SecureElement.HasPin(PinKind.Auth));
    }

    [Fact]
    public void Tamper_WipesKeysCertificatesAndPins()
    {
        var client = Client(phone);
        Provision(client);
        phone.Tamper();
        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            Assert.False(phone.SecureElement.HasKey(kind));
            Assert.False(phone.SecureElement.HasCertificate(kind));
            Assert.False(phone.SecureElement.HasPin(kind));
        }

        var fresh = new JpkiClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        Assert.Equal(StatusWords.FileNotFound, Assert.Throws<JpkiCardException>(() => fresh.ReadFile(JpkiFiles.AuthCertificate)).Sw);
        Assert.Equal(StatusWords.FileNotFound, Assert.Throws<JpkiCardException>(() => fresh.GetPinStatus(PinKind.Auth)).Sw);
        Assert.Equal("JPKIAPGPSETOKEN", fresh.ReadTokenLabel());
        Assert.Equal(2, Client(phone).ReadAttestationChain().Count);
    }

    [Fact]
    public void WipeCommand_DeletesEverythingAndVerifiedSessionLosesAccess()
    {
        var client = Client(phone);
        Provision(client);
        client.Jpki.Verify(PinKind.Auth, AuthPin);
        client.Wipe();
        Assert.False(phone.SecureElement.HasKey(PinKind.Auth));
        Assert.Equal(StatusWords.FileNotFound, Assert.Throws<JpkiCardException>(() => client.Jpki.SignDigestInfo(PinKind.Auth, DigestInfos.Build(HashAlgorithmName.SHA256, new byte[32]))).Sw);
    }

    [Fact]
    public void StateChanged_RaisedOnCounterChange()
    {
        var client = Client(phone);
        Provision(client);
        var changes = 0;
        phone.SecureElement.StateChanged += (_, _) => changes++;
        client.Jpki.Verify(PinKind.Auth, "0000");
        Assert.Equal(1, changes);
    }
}
