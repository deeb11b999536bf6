using System.Text;
using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

public class VirtualCardTests
{
    [Fact]
    public void SaveLoad_PreservesCountersAndCertificates()
    {
        var card = Fresh();
        var client = new JpkiClient(card.Applet);
        client.Verify(PinKind.Signing, "WRONG1");
        client.Verify(PinKind.Signing, "WRONG2");
        var path = TempPath();
        card.Save(path);

        var loaded = VirtualCard.Load(path);
        var again = new JpkiClient(loaded.Applet);
        Assert.Equal(new PinStatus(false, 3, false), again.GetPinStatus(PinKind.Signing));
        Assert.Equal(card.SigningPublicKeyInfo, loaded.SigningPublicKeyInfo);
        Assert.True(loaded.HasCertificates);
        Assert.DoesNotContain(SigningPassword, File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PersistsEveryCounterChange()
    {
        var path = TempPath();
        Fresh().Save(path);
        var opened = VirtualCard.Open(path);
        var client = new JpkiClient(opened.Applet);
        for (var i = 0; i < 5; i++)
        {
            client.Verify(PinKind.Signing, "WRONG1");
        }

        var reloaded = new JpkiClient(VirtualCard.Load(path).Applet);
        Assert.Equal(new PinStatus(false, 0, true), reloaded.GetPinStatus(PinKind.Signing));
        Assert.Equal(new PinStatus(false, 0, true), reloaded.Verify(PinKind.Signing, SigningPassword));
    }

    [Fact]
    public void Load_CorruptOrOversizedOrWrongShape_InvalidData()
    {
        var path = TempPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        File.WriteAllText(path, "{ not json");
        Assert.Throws<InvalidDataException>(() => VirtualCard.Load(path));

        File.WriteAllText(path, """{"Format":"something-else","Applet":null}""");
        Assert.Throws<InvalidDataException>(() => VirtualCard.Load(path));

        File.WriteAllBytes(path, new byte[StateFiles.MaxFileLength + 1]);
        Assert.Throws<InvalidDataException>(() => VirtualCard.Load(path));

        Fresh().Save(path);
        var json = File.ReadAllText(path);
        File.WriteAllText(path, json.Replace("\"TriesLeft\": 5", "\"TriesLeft\": 9", StringComparison.Ordinal));
        Assert.Throws<InvalidDataException>(() => VirtualCard.Load(path));
    }

    [Fact]
    public void Save_ReplacesAtomicallyWithoutLeavingTempFiles()
    {
        var path = TempPath();
        var card = Fresh();
        card.Save(path);
        card.Save(path);
        var directory = Path.GetDirectoryName(path)!;
        Assert.Empty(Directory.GetFiles(directory, $".{Path.GetFileName(path)}*"));
        Assert.StartsWith("{", Encoding.UTF8.GetString(File.ReadAllBytes(path)), StringComparison.Ordinal);
    }

    [Fact]
    public void InstallCertificates_LeafForOtherKey_ArgumentExceptionAndNothingStored()
    {
        var card = VirtualCard.CreateBlank(SigningPassword, AuthPin);
        var (ca, caKey) = CreateCa("Some CA");
        using var key = caKey;
        var signing = IssueFor(card.SigningPublicKeyInfo, ca, "CN=S");
        var auth = IssueFor(card.AuthPublicKeyInfo, ca, "CN=A");

        Assert.Throws<ArgumentException>(() => card.InstallCertificates(auth.RawData, ca.RawData, signing.RawData, ca.RawData));
        Assert.Throws<ArgumentException>(() => card.InstallCertificates(signing.RawData, [1, 2, 3], auth.RawData, ca.RawData));
        Assert.False(card.HasCertificates);

        card.InstallCertificates(signing.RawData, ca.RawData, auth.RawData, ca.RawData);
        Assert.True(card.HasCertificates);
    }
}
