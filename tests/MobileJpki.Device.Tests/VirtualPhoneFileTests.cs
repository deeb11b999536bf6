using MobileJpki.Card;
using static MobileJpki.Device.Tests.TestPhones;

namespace MobileJpki.Device.Tests;

/// <summary>Phone files at rest: created private, locked while a program uses them (docs/security.md).</summary>
public class VirtualPhoneFileTests
{
    [Fact]
    public void Save_NewFolder_FileCreated0600FolderCreated0700()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mjpki-phone-tests", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "phone.json");

        Create().Save(path);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }
    }

    [Fact]
    public void Open_PhoneAlreadyOpen_SecondOpenRefusedUntilDisposed()
    {
        var phone = Create();
        Provision(Client(phone));
        var path = TempPath();
        phone.Save(path);

        using (var first = VirtualPhone.Open(path, Clock()))
        {
            Client(first).Jpki.Verify(PinKind.Auth, "0000");
            var second = Assert.Throws<IOException>(() => VirtualPhone.Open(path, Clock()));
            Assert.Contains("スマホ", second.Message, StringComparison.Ordinal);
            Assert.Contains("in use by another program", second.Message, StringComparison.Ordinal);
        }

        using var again = VirtualPhone.Open(path, Clock());
        Assert.Equal(2, Client(again).Jpki.GetPinStatus(PinKind.Auth).TriesLeft);
    }
}
