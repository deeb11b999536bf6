using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// My Page through the real <c>mjpki</c> against a real server process: login with the phone, an e-application signed
/// in the SE, the history, the stored CMS verified by openssl, the information views, and the refusals.
/// </summary>
public sealed class EApplicationCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task SubmitHistoryInfo_RealServer_SignedStoredAndVerifiedByOpenSsl()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-cli-eapp-").FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "申請 花子", "--birth", "1990-09-09", "--gender", "female", "--address", "北海道札幌市中央区北1条西2",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));

        // Before login: refused.
        await File.WriteAllTextAsync(Path.Combine(dir, "none.token"), "not-a-session-token");
        Assert.Contains("ログインしてください", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "history", "--server", server.Url, "--token-file", "none.token")), StringComparison.Ordinal);

        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "login", "--server", server.Url, "--phone", "phone.json", "--pin", "5678", "--token-file", "portal.token"));
        await File.WriteAllTextAsync(Path.Combine(dir, "account.json"), """{"bankCode":"0005","branchCode":"251","accountType":"ordinary","accountNumber":"0123456","accountHolderKana":"シンセイ ハナコ"}""");

        // A bad field, a wrong password and an unknown type are refused, each on one line.
        await File.WriteAllTextAsync(Path.Combine(dir, "bad.json"), """{"bankCode":"5","branchCode":"251","accountType":"ordinary","accountNumber":"0123456","accountHolderKana":"シンセイ ハナコ"}""");
        Assert.Contains("'bankCode'", Mjpki.AssertOneLineFailure(await Submit(dir, "benefit-account", "bad.json", "PHONE2023")), StringComparison.Ordinal);
        Assert.Contains("残り", Mjpki.AssertOneLineFailure(await Submit(dir, "benefit-account", "account.json", "WRONG2023")), StringComparison.Ordinal);
        Assert.Contains("moving-out", Mjpki.AssertOneLineFailure(await Submit(dir, "marriage", "account.json", "PHONE2023")), StringComparison.Ordinal);

        var submitted = await Submit(dir, "benefit-account", "account.json", "PHONE2023");
        Mjpki.AssertSuccess(submitted);
        var line = Lines(submitted.Stdout)[^1];
        var id = line.Split(' ')[0];
        Assert.True(Guid.TryParse(id, out _), line);
        Assert.Contains("benefit-account received", line, StringComparison.Ordinal);
        Assert.Contains("****456", line, StringComparison.Ordinal);

        var history = await Mjpki.RunAsync(dir, "app", "history", "--server", server.Url, "--token-file", "portal.token");
        Mjpki.AssertSuccess(history);
        Assert.StartsWith(id + " ", Assert.Single(Lines(history.Stdout)), StringComparison.Ordinal);

        // The stored CMS, as the server keeps it, verifies with openssl against the signing root.
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "history", "--server", server.Url, "--token-file", "portal.token", "--id", id, "--out", "stored.der"));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        await File.WriteAllBytesAsync(Path.Combine(dir, "root.cer"), await http.GetByteArrayAsync("/ca/sign.cer"));
        var now = JsonDocument.Parse(await http.GetStringAsync("/api/v1/time")).RootElement.GetProperty("now").GetDateTimeOffset();

        // -attime: the sandbox clock (moved to the next opening) may be ahead of this machine's, and the certificates
        // were issued on it; openssl checks validity at the server's time.
        var (code, output) = OpenSsl(dir, "cms", "-verify", "-inform", "DER", "-in", "stored.der", "-CAfile", "root.pem", "-purpose", "any",
            "-attime", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "-out", "content.json");
        Assert.True(code == 0, output);
        Assert.Contains("Verification successful", output, StringComparison.Ordinal);
        var content = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(dir, "content.json"))).RootElement;
        Assert.Equal("benefit-account", content.GetProperty("type").GetString());
        Assert.Equal("0123456", content.GetProperty("form").GetProperty("accountNumber").GetString());

        // The information views and the usage log.
        var info = await Mjpki.RunAsync(dir, "app", "info", "--server", server.Url, "--token-file", "portal.token", "--view", "medical");
        Mjpki.AssertSuccess(info);
        Assert.StartsWith("# 診療情報", info.Stdout, StringComparison.Ordinal);
        Assert.Contains("facility=", info.Stdout, StringComparison.Ordinal);
        Assert.Equal(info.Stdout, (await Mjpki.RunAsync(dir, "app", "info", "--server", server.Url, "--token-file", "portal.token", "--view", "medical")).Stdout);
        Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "info", "--server", server.Url, "--token-file", "portal.token", "--view", "genome"));
        var usage = await Mjpki.RunAsync(dir, "app", "usage", "--server", server.Url, "--token-file", "portal.token");
        Mjpki.AssertSuccess(usage);
        Assert.Contains(" e-application ", Lines(usage.Stdout)[0], StringComparison.Ordinal);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (int Code, string Output) OpenSsl(string dir, params string[] args)
    {
        // root.pem from the DER the server serves.
        var pem = Path.Combine(dir, "root.pem");
        if (!File.Exists(pem))
        {
            var der = File.ReadAllBytes(Path.Combine(dir, "root.cer"));
            File.WriteAllText(pem, new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE", der)) + "\n");
        }

        var start = new ProcessStartInfo("/usr/bin/openssl") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "openssl did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private Task<CliResult> Submit(string dir, string type, string form, string password) =>
        Mjpki.RunAsync(dir, "app", "submit", "--server", server.Url, "--phone", "phone.json", "--token-file", "portal.token",
            "--type", type, "--form", form, "--sign-password", password);
}
