namespace MobileJpki.Cli.Tests.Pcsc;

/// <summary><c>mjpki app apply --card pcsc:READER</c>: the seed flow with the card read through pcscd.</summary>
[Collection(VpcdCollection.Name)]
public sealed class PcscApplyTests(ServerProcess server) : IClassFixture<ServerProcess>
{

    [Fact]
    public async Task AppApply_CardThroughPcscd_ApplicationCompleteAndCounterKeptInCardFile()
    {
        Pcscd.Require();
        var dir = Directory.CreateDirectory(Path.Combine(server.Root, "pcsc-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "読取 花子", "--birth", "1975-05-05", "--gender", "female", "--address", "大阪府大阪市北区中之島1-3-20",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        await using var bridge = BridgeProcess.Start(dir, "--card", "card.json");
        await bridge.WaitForAsync("connected to vpcd");
        await Pcscd.WaitForJpkiCardAsync(bridge);

        var wrong = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", $"pcsc:{Pcscd.Reader}",
            "--card-password", "WRONG999", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");
        var apply = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", $"pcsc:{Pcscd.Reader}",
            "--card-password", "card2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");

        Assert.Contains("残り4回", Mjpki.AssertOneLineFailure(wrong), StringComparison.Ordinal);
        Mjpki.AssertSuccess(apply);
        Assert.Contains("申請完了", apply.Stdout, StringComparison.Ordinal);
        var info = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Assert.Contains("signing password: 5 tries left", info.Stdout, StringComparison.Ordinal);
    }
}

/// <summary>Bad input for the PC/SC side of the CLI; the card is opened before any server is contacted, so none runs.</summary>
[Collection(VpcdCollection.Name)]
public sealed class PcscBadInputTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private const string NoServer = "http://127.0.0.1:9";

    private readonly string root = Directory.CreateTempSubdirectory("mjpki-pcsc-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task AppApply_UnknownReader_OneLineErrorListingReaders()
    {
        Pcscd.Require();

        var result = await Mjpki.RunAsync(root, "app", "apply", "--server", NoServer, "--phone", "none.json", "--card", "pcsc:No Such Reader",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.Contains("No Such Reader", line, StringComparison.Ordinal);
        Assert.Contains(Pcscd.Reader, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppApply_PcscdNotRunning_OneLineErrorSaysSo()
    {
        // libpcsclite finds pcscd through this socket; pointing it nowhere is pcscd not running, with or without a real one.
        var environment = new Dictionary<string, string> { ["PCSCLITE_CSOCK_NAME"] = Path.Combine(root, "no-pcscd.comm") };

        var result = await Pcscd.MjpkiAsync(root, environment, "app", "apply", "--server", NoServer, "--phone", "none.json",
            "--card", $"pcsc:{Pcscd.Reader}", "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678");

        Assert.Contains("pcscd is not running", Mjpki.AssertOneLineFailure(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CardServe_CorruptCardFile_RefusedAndFileUntouched()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "corrupt-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var path = Path.Combine(dir, "card.json");
        const string corrupt = "{\"format\": \"mjpki-card/1\", \"applet\": [garbage";
        await File.WriteAllTextAsync(path, corrupt);

        var result = await Pcscd.MjpkiAsync(dir, NoEnvironment, "card", "serve", "--card", "card.json", "--vpcd", $"127.0.0.1:{Pcscd.ClosedPort()}");

        Assert.Contains("card.json", Mjpki.AssertOneLineFailure(result), StringComparison.Ordinal);
        Assert.Equal(corrupt, await File.ReadAllTextAsync(path));
        // Nothing written beside it but the (empty) lock file the open took: no temporary or replacement card file.
        Assert.Equal(["card.json", "card.json.lock"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CardServe_VpcdUnreachable_ClearMessageAndKeepsRetrying()
    {
        var (card, _, _) = Pcscd.NewCard("RETRY1", "1234");
        var dir = Directory.CreateDirectory(Path.Combine(root, "retry-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        card.Save(Path.Combine(dir, "card.json"));
        var port = Pcscd.ClosedPort();

        await using var bridge = BridgeProcess.Start(dir, "--card", "card.json", "--vpcd", $"127.0.0.1:{port}");
        await bridge.WaitForAsync("is pcscd running", times: 3);

        Assert.False(bridge.HasExited);
        Assert.Contains($"err: mjpki: cannot reach vpcd at 127.0.0.1:{port}", bridge.Output, StringComparison.Ordinal);
        Assert.Contains("retrying", bridge.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CardServe_BadVpcdAddress_OneLineError()
    {
        var result = await Pcscd.MjpkiAsync(root, NoEnvironment, "card", "serve", "--card", "x.json", "--vpcd", "localhost");

        Assert.Contains("--vpcd", Mjpki.AssertOneLineFailure(result), StringComparison.Ordinal);
    }
}
