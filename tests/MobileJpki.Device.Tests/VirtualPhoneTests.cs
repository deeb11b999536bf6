using MobileJpki.Card;
using static MobileJpki.Device.Tests.TestPhones;

namespace MobileJpki.Device.Tests;

public class VirtualPhoneTests
{
    [Fact]
    public void PhoneModels_KnownSupportedAndUnsupported()
    {
        Assert.True(PhoneModels.SupportedModels.Count() >= 8);
        Assert.All(PhoneModels.All, m => Assert.Equal(m.Id.ToLowerInvariant(), m.Id));
        Assert.Equal(PhoneModels.All.Count, PhoneModels.All.Select(m => m.Id).Distinct().Count());
        Assert.True(PhoneModels.Find("pixel-8")!.Supported);
        Assert.False(PhoneModels.Find("galaxy-s9")!.Supported);
        Assert.False(PhoneModels.Find("iphone-12")!.Supported);
        Assert.Null(PhoneModels.Find("nokia-3310"));
    }

    [Fact]
    public void Create_UnknownModel_ArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => VirtualPhone.Create("nokia-3310", Clock()));
        Assert.Contains("unknown phone model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SupportedModel_EligibleWithIds()
    {
        var phone = Create("xperia-1-v");
        Assert.True(phone.IsEligibleForService);
        Assert.Matches("^[0-9a-f]{16}$", phone.PhoneId);
        Assert.Equal("Android 14", phone.OsVersion);
        Assert.NotEmpty(phone.App.InstallationId);
    }

    [Theory]
    [InlineData("galaxy-s9")]
    [InlineData("iphone-12")]
    public void Create_UnsupportedModel_NotEligibleAndSeClosed(string model)
    {
        var phone = Create(model);
        Assert.False(phone.IsEligibleForService);
        Assert.Throws<SecureElementAccessDeniedException>(() => phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
    }

    [Fact]
    public void FactoryResetAndReinstall_ClearAppDataButKeepSe()
    {
        var phone = Create();
        Provision(Client(phone));
        var installation = phone.App.InstallationId;
        phone.App.Values["session"] = "abc";

        phone.FactoryReset();
        Assert.Empty(phone.App.Values);
        Assert.NotEqual(installation, phone.App.InstallationId);
        Assert.True(phone.SecureElement.HasCertificate(PinKind.Signing));

        installation = phone.App.InstallationId;
        phone.App.Values["session"] = "def";
        phone.ReinstallApp();
        Assert.Empty(phone.App.Values);
        Assert.NotEqual(installation, phone.App.InstallationId);
        Assert.True(phone.SecureElement.HasKey(PinKind.Auth));
        Assert.True(Client(phone).Jpki.Verify(PinKind.Auth, AuthPin).Verified);
    }

    [Fact]
    public void SaveLoad_RoundTripsPhoneSeAndCounters()
    {
        var phone = Create("aquos-sense8");
        var (signing, _) = Provision(Client(phone));
        Client(phone).Jpki.Verify(PinKind.Signing, "WRONG9");
        phone.App.Values["k"] = "v";
        var path = TempPath();
        phone.Save(path);

        var loaded = VirtualPhone.Load(path, Clock());
        Assert.Equal(phone.PhoneId, loaded.PhoneId);
        Assert.Equal("aquos-sense8", loaded.Model.Id);
        Assert.Equal(phone.App.InstallationId, loaded.App.InstallationId);
        Assert.Equal("v", loaded.App.Values["k"]);
        Assert.Equal(phone.SecureElement.SecureElementId, loaded.SecureElement.SecureElementId);
        var jpki = Client(loaded).Jpki;
        Assert.Equal(4, jpki.GetPinStatus(PinKind.Signing).TriesLeft);
        Assert.True(jpki.Verify(PinKind.Signing, SigningPassword).Verified);
        Assert.Equal(signing.RawData, jpki.ReadFile(JpkiFiles.SigningCertificate));
        Assert.DoesNotContain(SigningPassword, File.ReadAllText(path), StringComparison.Ordinal);
    }

    /// <summary>Editing the phone file to claim another phone's id changes nothing: the id is always the SE's.</summary>
    [Fact]
    public void Load_FileClaimingAnotherPhoneId_KeepsItsSecureElementsId()
    {
        var phone = Create();
        var victim = Create();
        var path = TempPath();
        phone.Save(path);
        var edited = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "(\"phoneId\"\\s*:\\s*)\"[^\"]*\"", $"$1\"{victim.PhoneId}\"", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        Assert.Contains(victim.PhoneId, edited, StringComparison.Ordinal);
        File.WriteAllText(path, edited);

        var loaded = VirtualPhone.Load(path, Clock());

        Assert.Equal(phone.PhoneId, loaded.PhoneId);
        Assert.Equal(loaded.SecureElement.SecureElementId, loaded.PhoneId);
    }

    [Fact]
    public void Open_PersistsSeChangesImmediately()
    {
        var phone = Create();
        Provision(Client(phone));
        var path = TempPath();
        phone.Save(path);

        var opened = VirtualPhone.Open(path, Clock());
        Client(opened).Jpki.Verify(PinKind.Auth, "0000");
        Assert.Equal(2, Client(VirtualPhone.Load(path, Clock())).Jpki.GetPinStatus(PinKind.Auth).TriesLeft);

        opened.Tamper();
        Assert.False(VirtualPhone.Load(path, Clock()).SecureElement.HasKey(PinKind.Auth));
    }

    [Fact]
    public void Load_CorruptOrOversized_InvalidData()
    {
        var path = TempPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "[]");
        Assert.Throws<InvalidDataException>(() => VirtualPhone.Load(path));
        File.WriteAllText(path, "{\"Format\":\"mjpki-phone/1\"}");
        Assert.Throws<InvalidDataException>(() => VirtualPhone.Load(path));
        File.WriteAllBytes(path, new byte[StateFiles.MaxFileLength + 1]);
        Assert.Throws<InvalidDataException>(() => VirtualPhone.Load(path));

        Create().Save(path);
        var json = File.ReadAllText(path);
        File.WriteAllText(path, json.Replace("\"pixel-8\"", "\"nokia-3310\"", StringComparison.Ordinal));
        Assert.Throws<InvalidDataException>(() => VirtualPhone.Load(path));
    }
}
