using System.Diagnostics;

namespace MobileJpki.Cli.Tests;

/// <summary><c>mjpki ca crl</c> against a real server process, its output checked by the real openssl.</summary>
public sealed class CaCrlCommandTests(ServerProcess server) : IClassFixture<ServerProcess>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mjpki-ca-crl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task CaCrl_BothHierarchies_VerifiedAndReportedAndWrittenForOpenSsl()
    {
        var result = await Mjpki.RunAsync(_dir, "ca", "crl", "--server", server.Url, "--out", "ca.crl");

        Mjpki.AssertSuccess(result);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^sign: /crl/sign\.crl number \d+ thisUpdate \S+Z nextUpdate \S+Z entries \d+ signature OK$", lines[0]);
        Assert.Matches(@"^auth: /crl/auth\.crl number \d+ thisUpdate \S+Z nextUpdate \S+Z entries \d+ signature OK$", lines[1]);

        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var ca = Path.Combine(_dir, "auth.pem");
        var caDer = await http.GetByteArrayAsync("/ca/auth.cer");
        await File.WriteAllTextAsync(ca, new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE", caDer)));
        var (code, output) = OpenSsl("crl", "-inform", "DER", "-in", Path.Combine(_dir, "ca.crl.auth"), "-CAfile", ca, "-noout", "-crlnumber");
        Assert.True(code == 0, output);
        Assert.Contains("verify OK", output, StringComparison.Ordinal);
        Assert.Contains("crlNumber=", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CaCrl_OnePartition_Reported()
    {
        var result = await Mjpki.RunAsync(_dir, "ca", "crl", "--server", server.Url, "--hierarchy", "sign", "--partition", "3", "--out", "p3.crl");

        Mjpki.AssertSuccess(result);
        Assert.StartsWith("sign: /crl/sign/3.crl number ", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "p3.crl")));
    }

    [Theory]
    [InlineData("--hierarchy", "card")]
    [InlineData("--server", "http://127.0.0.1:1")]
    public async Task CaCrl_BadHierarchyOrServerDown_OneLineErrorNonZero(string option, string value)
    {
        string[] args = option == "--server" ? ["ca", "crl", option, value] : ["ca", "crl", "--server", server.Url, option, value];

        var result = await Mjpki.RunAsync(_dir, args);

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.StartsWith("mjpki: ", line, StringComparison.Ordinal);
    }

    private static (int Code, string Output) OpenSsl(params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000));
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
