using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

/// <summary>Card files at rest: created private, locked while a program uses them (docs/security.md).</summary>
public class StateFilesTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    [Fact]
    public void Save_NewFolders_FileCreated0600FoldersCreated0700()
    {
        var root = Path.Combine(Path.GetTempPath(), "mjpki-card-tests", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(root, "nested", "card.json");

        Fresh().Save(path);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(Private, File.GetUnixFileMode(path));
            Assert.Equal(PrivateDirectory, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
            Assert.Equal(PrivateDirectory, File.GetUnixFileMode(root));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Open_FileAlreadyOpen_SecondOpenRefusedWithClearMessage()
    {
        var path = TempPath();
        Fresh().Save(path);
        using var first = VirtualCard.Open(path);

        var second = Assert.Throws<IOException>(() => VirtualCard.Open(path));

        Assert.Contains("使用中", second.Message, StringComparison.Ordinal);
        Assert.Contains("in use by another program", second.Message, StringComparison.Ordinal);
        Assert.Contains(path, second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WrongGuessesWhileLocked_SecondOpenGetsNoGuessesOfItsOwn()
    {
        var path = TempPath();
        Fresh().Save(path);
        using (var first = VirtualCard.Open(path))
        {
            var client = new JpkiClient(first.Applet);
            client.Verify(PinKind.Auth, "0000");
            client.Verify(PinKind.Auth, "0001");
            Assert.Throws<IOException>(() => VirtualCard.Open(path));
        }

        // Released: the next opener sees the counter the first one left, not a fresh copy.
        using var next = VirtualCard.Open(path);
        Assert.Equal(new PinStatus(false, 1, false), new JpkiClient(next.Applet).GetPinStatus(PinKind.Auth));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(Private, File.GetUnixFileMode(path + ".lock"));
        }
    }

    [Fact]
    public void Open_CorruptFile_LockReleasedWithTheFailure()
    {
        var path = TempPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{ not a card");

        Assert.Throws<InvalidDataException>(() => VirtualCard.Open(path));

        Fresh().Save(path);
        using var card = VirtualCard.Open(path);
        Assert.True(card.HasCertificates);
    }
}
