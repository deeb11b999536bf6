using System.Diagnostics;
using System.Text;
using MobileJpki.Card;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// Secrets in the CLI and its exit codes, with real processes (docs/security.md, "Secrets at rest and in the CLI";
/// docs/operations.md, "Exit codes"): PINs from standard input or the environment, a card file one process at a time.
/// </summary>
public sealed class SecretsCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    private static readonly IReadOnlyDictionary<string, string>? NoEnvironment = null;

    // The contract of src/MobileJpki.Cli/Common.cs (ExitCodes), written out: a script depends on the numbers.
    private const int Failed = 1;
    private const int Usage = 2;
    private const int Refused = 3;
    private const int Unreachable = 4;

    [Fact]
    public async Task ExitCodes_EachKindOfFailure_ItsOwnCode()
    {
        var dir = NewDirectory();

        var unknownOption = await Mjpki.RunAsync(dir, "card", "info", "--card", "c.json", "--no-such-option");
        var missingPassword = await Mjpki.RunAsync(dir, "operator", "login", "--server", server.Url, "--name", "supervisor");
        var badKinds = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "p.json", "--card", "c.json", "--kinds", "both");
        var refused = await Mjpki.RunAsync(dir, "operator", "login", "--server", server.Url, "--name", "supervisor", "--password", "wrong password!");
        var unreachable = await Mjpki.RunAsync(dir, "operator", "login", "--server", "http://127.0.0.1:1", "--name", "supervisor", "--password", "x");
        var localFile = await Mjpki.RunAsync(dir, "card", "info", "--card", "missing.json");

        Assert.Equal(Usage, unknownOption.ExitCode);
        Assert.Equal(Usage, missingPassword.ExitCode);
        Assert.Contains("MJPKI_PASSWORD", Mjpki.AssertOneLineFailure(missingPassword), StringComparison.Ordinal);
        Assert.Equal(Usage, badKinds.ExitCode);
        Assert.Equal(Refused, refused.ExitCode);
        Assert.Contains("Wrong operator name or password", Mjpki.AssertOneLineFailure(refused), StringComparison.Ordinal);
        Assert.Equal(Unreachable, unreachable.ExitCode);
        Assert.Contains("サーバーに接続できません", Mjpki.AssertOneLineFailure(unreachable), StringComparison.Ordinal);
        Assert.Equal(Failed, localFile.ExitCode);
    }

    [Fact]
    public async Task OperatorLogin_PasswordFromStdinOrEnvironment_SignsInWithoutItOnTheCommandLine()
    {
        var dir = NewDirectory();
        var supervisor = await File.ReadAllLinesAsync(Path.Combine(server.Root, "hotline-supervisor.txt"));

        var fromStdin = await Mjpki.RunAsync(dir, supervisor[1] + "\n", NoEnvironment, "operator", "login", "--server", server.Url, "--name", supervisor[0], "--password", "-");
        var fromEnvironment = await Mjpki.RunAsync(dir, null, new Dictionary<string, string> { ["MJPKI_PASSWORD"] = supervisor[1] },
            "operator", "login", "--server", server.Url, "--name", supervisor[0]);
        var wrongFromEnvironment = await Mjpki.RunAsync(dir, null, new Dictionary<string, string> { ["MJPKI_PASSWORD"] = "wrong password!" },
            "operator", "login", "--server", server.Url, "--name", supervisor[0]);
        var emptyStdin = await Mjpki.RunAsync(dir, string.Empty, NoEnvironment, "operator", "login", "--server", server.Url, "--name", supervisor[0], "--password", "-");

        Mjpki.AssertSuccess(fromStdin);
        Assert.Matches("^[A-Za-z0-9_-]{20,}", fromStdin.Stdout.Trim());
        Mjpki.AssertSuccess(fromEnvironment);
        Assert.Equal(Refused, wrongFromEnvironment.ExitCode);
        Assert.Equal(Usage, emptyStdin.ExitCode);
        Assert.Contains("standard input", Mjpki.AssertOneLineFailure(emptyStdin), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CardIssue_TwoSecretsOnStdin_OneLineEachInHelpOrder()
    {
        var dir = NewDirectory();

        var issue = await Mjpki.RunAsync(dir, "CARD2023\n4321\n", NoEnvironment, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "標準 入力", "--birth", "1980-01-01", "--gender", "female", "--address", "東京都千代田区霞が関1-1-1",
            "--sign-password", "-", "--auth-pin", "-");

        Mjpki.AssertSuccess(issue);
        var card = VirtualCard.Load(Path.Combine(dir, "card.json"));
        var client = new JpkiClient(card.Applet);
        Assert.True(client.Verify(PinKind.Auth, "4321").Verified);
        Assert.True(client.Verify(PinKind.Signing, "CARD2023").Verified);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "card.json")));
        }
    }

    [Fact]
    public async Task CardFile_ServedByOneProcess_SecondProcessRefusedAndCountersUntouched()
    {
        var dir = NewDirectory();
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "施錠 次郎", "--birth", "1975-05-05", "--gender", "male", "--address", "大阪府大阪市北区梅田1-1-1",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        var path = Path.Combine(dir, "card.json");
        var before = await File.ReadAllBytesAsync(path);

        // Process 1 holds the card in the (unreachable) virtual reader, as `card serve` does for pcscd.
        using var serve = StartCli(dir, "card", "serve", "--card", "card.json", "--vpcd", "127.0.0.1:1");
        var output = new StringBuilder();
        serve.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        serve.ErrorDataReceived += (_, _) => { };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        await PollAsync(() => { lock (output) { return output.ToString().Contains("serving", StringComparison.Ordinal); } }, "card serve started");

        try
        {
            // Process 2 wants to spend PIN guesses on the same card: refused before any APDU.
            var login = await Mjpki.RunAsync(dir, null, new Dictionary<string, string> { ["MJPKI_PIN"] = "9999" },
                "card", "login", "--server", server.Url, "--card", "card.json");
            var line = Mjpki.AssertOneLineFailure(login);
            Assert.Equal(Failed, login.ExitCode);
            Assert.Contains("使用中", line, StringComparison.Ordinal);
            Assert.Contains("in use by another program", line, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(path));

            // And in this process too.
            Assert.Throws<IOException>(() => VirtualCard.Open(path));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }

        // The lock died with its process: the PIN from the environment now logs in.
        var after = await Mjpki.RunAsync(dir, null, new Dictionary<string, string> { ["MJPKI_PIN"] = "1234" },
            "card", "login", "--server", server.Url, "--card", "card.json");
        Mjpki.AssertSuccess(after);
        Assert.Contains("logged in", after.Stdout, StringComparison.Ordinal);
    }

    private static Process StartCli(string dir, params string[] args) =>
        Process.Start(Mjpki.StartInfo(dir, args)) ?? throw new InvalidOperationException("could not start mjpki");

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    private static string NewDirectory() => Directory.CreateTempSubdirectory("mjpki-secrets-cli-").FullName;
}
