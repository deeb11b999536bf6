using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MobileJpki.Core;
using MobileJpki.Device;
using MobileJpki.Pki;

namespace MobileJpki.Cli.Tests;

/// <summary>The mjpki contract, run as real processes against a real server process.</summary>
public sealed partial class CliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task Demo_RunningServer_ExitsZeroAndPrintsTwoPemCertificates()
    {
        var dir = NewDirectory();

        var result = await Mjpki.RunAsync(dir, "demo", "--server", server.Url, "--dir", dir);

        Mjpki.AssertSuccess(result);
        var certs = ParsePem(result.Stdout);
        Assert.Equal(2, certs.Count);
        Assert.Equal(
            new[] { CertificateKind.PhoneSigning, CertificateKind.PhoneAuth }.Order(),
            certs.Select(c => CertificatePolicies.KindOf(c)!.Value).Order());
        Assert.Contains("申請完了", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("利用登録が完了しました", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "card.json")));
        Assert.True(File.Exists(Path.Combine(dir, "phone.json")));
    }

    [Fact]
    public async Task ContractCommands_InSequence_RegistersTwoCertificatesOnThePhone()
    {
        var dir = NewDirectory();

        var card = await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "契約 三郎", "--birth", "1988-08-08", "--gender", "male", "--address", "北海道札幌市中央区北1条西2丁目",
            "--sign-password", "CARD2023", "--auth-pin", "1234");
        Mjpki.AssertSuccess(card);
        Assert.True(File.Exists(Path.Combine(dir, "card.json")));

        var phone = await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8");
        Mjpki.AssertSuccess(phone);
        Assert.Contains("Pixel 8", phone.Stdout, StringComparison.Ordinal);

        var apply = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "card2023", "--kinds", "sign,auth", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678",
            "--email", "keiyaku@example.jp");
        Mjpki.AssertSuccess(apply);
        Assert.Contains("申請完了", apply.Stdout, StringComparison.Ordinal);

        var clock = await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening");
        Mjpki.AssertSuccess(clock);
        Assert.Contains("window: open", clock.Stdout, StringComparison.Ordinal);

        var wait = await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120");
        Mjpki.AssertSuccess(wait);
        Assert.Contains("プッシュ通知", wait.Stdout, StringComparison.Ordinal);

        var register = await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(register);
        Assert.Contains("利用登録が完了しました", register.Stdout, StringComparison.Ordinal);

        var status = await Mjpki.RunAsync(dir, "app", "status", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(status);
        Assert.Matches(ApplicationIssuedLine(), status.Stdout);

        var certs = await Mjpki.RunAsync(dir, "phone", "certs", "--phone", "phone.json");
        Mjpki.AssertSuccess(certs);
        var parsed = ParsePem(certs.Stdout);
        Assert.Equal(2, parsed.Count);

        // app status lists exactly these serials as active.
        foreach (var cert in parsed)
        {
            var kind = CertificatePolicies.KindOf(cert) == CertificateKind.PhoneSigning ? "sign" : "auth";
            Assert.Contains($"certificate {kind} {cert.SerialNumber.ToLowerInvariant()} active", status.Stdout, StringComparison.Ordinal);
        }

        var sign = Assert.Single(parsed, c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning);
        Assert.True(Basic4InfoCodec.TryRead(sign, out var info));
        Assert.Equal("契約 三郎", info!.Name);
        Assert.Equal(new DateOnly(1988, 8, 8), info.BirthDate);

        // The card's counter is back at 5 after the right (lowercase-typed) password.
        var cardInfo = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Mjpki.AssertSuccess(cardInfo);
        Assert.Contains("signing password: 5 tries left", cardInfo.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PhoneModels_Always_PrintsOnlySupportedIdsOnePerLine()
    {
        var result = await Mjpki.RunAsync(NewDirectory(), "phone", "models");

        Mjpki.AssertSuccess(result);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.All(lines, l => Assert.Matches(ModelId(), l));
        Assert.Equal(PhoneModels.SupportedModels.Select(m => m.Id), lines);
        Assert.DoesNotContain("galaxy-s9", lines);
    }

    [Fact]
    public async Task PhoneNew_UnknownModel_OneLineErrorAndNoFile()
    {
        var dir = NewDirectory();

        var result = await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "nokia-3310");

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.Contains("nokia-3310", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "phone.json")));
    }

    [Fact]
    public async Task AppApply_BadKinds_OneLineError()
    {
        var dir = await CardAndPhoneAsync();

        var result = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--kinds", "sign,selfie", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.Contains("--kinds", line, StringComparison.Ordinal);
        Assert.Contains("selfie", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppApply_WrongCardPassword_OneLineErrorWithTriesLeftPersisted()
    {
        var dir = await CardAndPhoneAsync();

        var result = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "WRONG999", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.Contains("残り4回", line, StringComparison.Ordinal);

        // The retry counter lives in the card file, as on a real card.
        var info = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Mjpki.AssertSuccess(info);
        Assert.Contains("signing password: 4 tries left", info.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppApply_CorruptCardFile_OneLineError()
    {
        var dir = await CardAndPhoneAsync();
        await File.WriteAllTextAsync(Path.Combine(dir, "card.json"), "{\"format\": \"mjpki-card/1\", \"applet\": [garbage");

        var apply = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");
        var info = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");

        Assert.Contains("card.json", Mjpki.AssertOneLineFailure(apply), StringComparison.Ordinal);
        Assert.Contains("card.json", Mjpki.AssertOneLineFailure(info), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_UnreachableServer_OneLineError()
    {
        var dir = await CardAndPhoneAsync();
        var closed = $"http://127.0.0.1:{ClosedPort()}";

        var clock = await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", closed);
        var apply = await Mjpki.RunAsync(dir, "app", "apply", "--server", closed, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");
        var issue = await Mjpki.RunAsync(dir, "card", "issue", "--server", closed, "--out", "other.json",
            "--name", "不達 四郎", "--birth", "1990-01-01", "--gender", "male", "--address", "東京都", "--sign-password", "CARD2023", "--auth-pin", "1234");

        Assert.Contains(closed, Mjpki.AssertOneLineFailure(clock), StringComparison.Ordinal);
        Assert.Contains(closed, Mjpki.AssertOneLineFailure(apply), StringComparison.Ordinal);
        Assert.Contains(closed, Mjpki.AssertOneLineFailure(issue), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "other.json")));
    }

    [Theory]
    [InlineData("card", "issue", "--out", "x.json", "--name", "必須 六郎")]
    [InlineData("phone", "new", "--out", "x.json")]
    [InlineData("app", "register")]
    [InlineData("phone", "new", "--out", "x.json", "--model")]
    public async Task Command_MissingRequiredOption_OneLineError(params string[] args)
    {
        var dir = NewDirectory();

        var result = await Mjpki.RunAsync(dir, args);

        Mjpki.AssertOneLineFailure(result);
        Assert.False(File.Exists(Path.Combine(dir, "x.json")));
    }

    [Fact]
    public async Task Help_SubcommandWithRequiredOptions_StillPrintsHelp()
    {
        var result = await Mjpki.RunAsync(NewDirectory(), "card", "issue", "--help");

        Mjpki.AssertSuccess(result);
        Assert.Contains("--sign-password", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CardIssue_BadGender_OneLineProblemTitle()
    {
        var dir = NewDirectory();

        var result = await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "性別 五郎", "--birth", "1990-01-01", "--gender", "robot", "--address", "東京都", "--sign-password", "CARD2023", "--auth-pin", "1234");

        Assert.Contains("gender", Mjpki.AssertOneLineFailure(result), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "card.json")));
    }

    private string NewDirectory() => Directory.CreateDirectory(Path.Combine(server.Root, "cli-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private async Task<string> CardAndPhoneAsync()
    {
        var dir = NewDirectory();
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "失敗 太郎", "--birth", "1980-02-29", "--gender", "other", "--address", "沖縄県那覇市泉崎1-2-2",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "galaxy-a54"));
        return dir;
    }

    private static List<X509Certificate2> ParsePem(string text) =>
        PemBlock().Matches(text).Select(m => X509Certificate2.CreateFromPem(m.Value)).ToList();

    private static int ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----")]
    private static partial Regex PemBlock();

    [GeneratedRegex("^[a-z0-9-]+$")]
    private static partial Regex ModelId();

    [GeneratedRegex("application [0-9a-f-]{36} \\[sign,auth\\] issued")]
    private static partial Regex ApplicationIssuedLine();
}
