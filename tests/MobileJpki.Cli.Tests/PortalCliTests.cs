using System.Buffers.Text;
using System.Text.Json;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// Login with the phone and the card, the usage log, コンビニ交付 and マイナ保険証 through the real <c>mjpki</c> against a
/// real server process.
/// </summary>
public sealed class PortalCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task LoginUsageKioskHospital_RealServer_EachStepAsDesigned()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-cli-portal-").FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "利用 三恵", "--birth", "1983-03-03", "--gender", "female", "--address", "沖縄県那覇市泉崎1-2-2",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));

        // A wrong PIN is refused by the SE before anything is sent.
        var wrong = Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "login", "--server", server.Url, "--phone", "phone.json", "--pin", "0000"));
        Assert.Contains("残り", wrong, StringComparison.Ordinal);

        var login = await Mjpki.RunAsync(dir, "app", "login", "--server", server.Url, "--phone", "phone.json", "--pin", "5678", "--token-file", "portal.token");
        Mjpki.AssertSuccess(login);
        Assert.Contains("logged in to portal", login.Stdout, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "portal.token")));
        }

        var me = await Mjpki.RunAsync(dir, "app", "me", "--server", server.Url, "--token-file", "portal.token");
        Mjpki.AssertSuccess(me);
        Assert.Contains("certificate phone-auth ", me.Stdout, StringComparison.Ordinal);
        var usage = await Mjpki.RunAsync(dir, "app", "usage", "--server", server.Url, "--token-file", "portal.token");
        Mjpki.AssertSuccess(usage);
        Assert.Contains(" login portal ", Assert.Single(Lines(usage.Stdout)), StringComparison.Ordinal);

        // コンビニ交付: the CLI plays the kiosk and the phone; the document is signed and for this person.
        var kiosk = await Mjpki.RunAsync(dir, "kiosk", "issue", "--server", server.Url, "--phone", "phone.json", "--pin", "5678", "--kiosk", "family-mart-1", "--out", "juminhyo.jws");
        Mjpki.AssertSuccess(kiosk);
        Assert.Contains("for 利用 三恵", kiosk.Stdout, StringComparison.Ordinal);
        Assert.Contains("(signature verified)", kiosk.Stdout, StringComparison.Ordinal);
        var payload = JsonDocument.Parse(Base64Url.DecodeFromChars((await File.ReadAllTextAsync(Path.Combine(dir, "juminhyo.jws"))).Trim().Split('.')[1])).RootElement;
        Assert.Equal("沖縄県那覇市泉崎1-2-2", payload.GetProperty("person").GetProperty("address").GetString());
        Assert.Equal("family-mart-1", payload.GetProperty("kioskId").GetString());

        // マイナ保険証.
        var hospital = await Mjpki.RunAsync(dir, "hospital", "check", "--server", server.Url, "--phone", "phone.json", "--pin", "5678", "--hospital", "clinic-1");
        Mjpki.AssertSuccess(hospital);
        Assert.Contains("eligible yes", hospital.Stdout, StringComparison.Ordinal);

        // The usage log shows every use, newest first.
        var after = await Mjpki.RunAsync(dir, "app", "usage", "--server", server.Url, "--token-file", "portal.token");
        Mjpki.AssertSuccess(after);
        var kinds = Lines(after.Stdout).Select(l => l.Split(' ')[4]).ToArray();
        Assert.Equal(["hospital", "hospital", "kiosk", "kiosk", "login"], kinds);

        // The card logs in too; after logout the token is refused.
        var card = await Mjpki.RunAsync(dir, "card", "login", "--server", server.Url, "--card", "card.json", "--pin", "1234");
        Mjpki.AssertSuccess(card);
        Assert.Matches("token [A-Za-z0-9_-]{43}", card.Stdout);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "logout", "--server", server.Url, "--token-file", "portal.token"));
        var refused = Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "usage", "--server", server.Url, "--token-file", "portal.token"));
        Assert.Contains("ログインしてください", refused, StringComparison.Ordinal);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
