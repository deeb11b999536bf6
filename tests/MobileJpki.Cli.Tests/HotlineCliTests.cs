using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Storage;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// The hotline end to end with the real CLI against a real server process: a person applies and registers, an
/// operator finds and suspends them, the phone shows it, and <c>mjpki audit verify</c> checks (and catches tampering).
/// </summary>
public sealed partial class HotlineCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task OperatorFindSuspendThenAuditVerify_RealServer_SuspendsAndChainVerifies()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-hotline-cli-").FullName;

        // The person: card, phone, 利用申請, 利用登録.
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "窓口 花子", "--birth", "1990-09-09", "--gender", "female", "--address", "福岡県福岡市中央区天神1-8-1",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));

        // The supervisor from the sandbox bootstrap file adds an operator, who signs in.
        var supervisorLines = await File.ReadAllLinesAsync(Path.Combine(server.Root, "hotline-supervisor.txt"));
        Assert.Contains("hotline-supervisor.txt", server.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(supervisorLines[1], server.Log, StringComparison.Ordinal);
        var supervisorLogin = await Mjpki.RunAsync(dir, "operator", "login", "--server", server.Url, "--name", supervisorLines[0], "--password", supervisorLines[1]);
        Mjpki.AssertSuccess(supervisorLogin);
        var supervisorToken = supervisorLogin.Stdout.Trim();
        var add = await Mjpki.RunAsync(dir, "operator", "add", "--server", server.Url, "--token", supervisorToken, "--name", "suzuki", "--role", "operator");
        Mjpki.AssertSuccess(add);
        var password = InitialPassword().Match(add.Stdout).Groups[1].Value;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "operator", "login", "--server", server.Url, "--name", "suzuki", "--password", password, "--token-file", "op.token"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "op.token")));
        }

        var token = (await File.ReadAllTextAsync(Path.Combine(dir, "op.token"))).Trim();

        // Find by what the caller says, then suspend.
        var find = await Mjpki.RunAsync(dir, "operator", "find", "--server", server.Url, "--token", token, "--name", "窓口　花子", "--birth-date", "1990-09-09");
        Mjpki.AssertSuccess(find);
        var line = Assert.Single(find.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("窓＊  福岡県", line, StringComparison.Ordinal);
        Assert.DoesNotContain("花子", line, StringComparison.Ordinal);
        Assert.Contains("active", line, StringComparison.Ordinal);
        var personId = line.Split(' ')[0];

        var forbidden = await Mjpki.RunAsync(dir, "audit", "verify", "--server", server.Url, "--token", token);
        Assert.Contains("Your role may not do this", Mjpki.AssertOneLineFailure(forbidden), StringComparison.Ordinal);

        var suspend = await Mjpki.RunAsync(dir, "operator", "suspend", "--server", server.Url, "--token", token, "--person", personId, "--reason", "スマホ紛失の電話");
        Mjpki.AssertSuccess(suspend);
        Assert.Contains("suspended 2 certificate(s)", suspend.Stdout, StringComparison.Ordinal);

        var status = await Mjpki.RunAsync(dir, "app", "status", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(status);
        Assert.Equal(2, SuspendedCertificateLine().Matches(status.Stdout).Count);

        var again = await Mjpki.RunAsync(dir, "operator", "suspend", "--server", server.Url, "--token", token, "--person", personId, "--reason", "二度目");
        Assert.Contains("すでに一時利用停止", Mjpki.AssertOneLineFailure(again), StringComparison.Ordinal);

        // The chain verifies…
        var verify = await Mjpki.RunAsync(dir, "audit", "verify", "--server", server.Url, "--token", supervisorToken);
        Mjpki.AssertSuccess(verify);
        Assert.Matches(VerifiedLine(), verify.Stdout);

        // …until a reason is changed in the database: verify names that entry.
        long suspendSequence;
        await using (var db = OpenDb())
        {
            suspendSequence = await db.AuditEntries.Where(e => e.Action == "hotline.suspend" && e.Outcome == "ok").Select(e => e.Sequence).SingleAsync();
            await db.AuditEntries.Where(e => e.Sequence == suspendSequence).ExecuteUpdateAsync(s => s.SetProperty(e => e.Reason, "誤って停止"));
        }

        var tampered = await Mjpki.RunAsync(dir, "audit", "verify", "--server", server.Url, "--token", supervisorToken);
        var tamperedLine = Mjpki.AssertOneLineFailure(tampered);
        Assert.Contains($"broken at entry {suspendSequence}", tamperedLine, StringComparison.Ordinal);
        Assert.Equal(5, tampered.ExitCode); // ExitCodes.AuditBroken
        Assert.Contains("altered", tamperedLine, StringComparison.Ordinal);

        // Restored, then a row deleted: verify names the gap.
        await using (var db = OpenDb())
        {
            await db.AuditEntries.Where(e => e.Sequence == suspendSequence).ExecuteUpdateAsync(s => s.SetProperty(e => e.Reason, "スマホ紛失の電話"));
            Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "audit", "verify", "--server", server.Url, "--token", supervisorToken));
            await db.AuditEntries.Where(e => e.Sequence == 3).ExecuteDeleteAsync();
        }

        var gap = await Mjpki.RunAsync(dir, "audit", "verify", "--server", server.Url, "--token", supervisorToken);
        var gapLine = Mjpki.AssertOneLineFailure(gap);
        Assert.Contains("broken at entry 3", gapLine, StringComparison.Ordinal);
        Assert.Equal(5, gap.ExitCode); // ExitCodes.AuditBroken
        Assert.Contains("missing", gapLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperatorCommands_BadCredentialsOrToken_FailOnOneLine()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-hotline-cli-").FullName;

        var wrong = await Mjpki.RunAsync(dir, "operator", "login", "--server", server.Url, "--name", "supervisor", "--password", "wrong password!");
        var badToken = await Mjpki.RunAsync(dir, "operator", "find", "--server", server.Url, "--token", "nope", "--name", "x", "--birth-date", "1980-01-01");
        var noReason = await Mjpki.RunAsync(dir, "operator", "suspend", "--server", server.Url, "--token", "nope", "--person", Guid.NewGuid().ToString());

        Assert.Contains("Wrong operator name or password", Mjpki.AssertOneLineFailure(wrong), StringComparison.Ordinal);
        Assert.Contains("operator login", Mjpki.AssertOneLineFailure(badToken), StringComparison.Ordinal);
        Assert.Contains("--reason", Mjpki.AssertOneLineFailure(noReason), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"initial password: (\S+)")]
    private static partial Regex InitialPassword();

    [GeneratedRegex(@"certificate (sign|auth) [0-9a-f]+ suspended")]
    private static partial Regex SuspendedCertificateLine();

    [GeneratedRegex(@"^OK \d+ entries, head [0-9a-f]{64}\s*$")]
    private static partial Regex VerifiedLine();

    private MjpkiDbContext OpenDb() =>
        new(new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite($"Data Source={server.DatabasePath}").Options);
}
