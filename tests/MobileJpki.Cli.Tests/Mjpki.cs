using System.Diagnostics;
using System.Text;

namespace MobileJpki.Cli.Tests;

/// <summary>What one run of <c>mjpki</c> did.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real CLI: <c>dotnet mjpki.dll …</c> with stdin closed and both streams captured.</summary>
public static class Mjpki
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    /// <summary>How the tests start the built CLI: <c>dotnet mjpki.dll ARGS</c> with every stream redirected (UTF-8).</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(ServerProcess.BinDirectory, "mjpki.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public static Task<CliResult> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, stdin: null, environment: null, args);

    /// <summary>Runs the CLI with <paramref name="stdin"/> written to its standard input (then closed) and extra environment variables.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, string? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = StartInfo(workingDirectory, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start mjpki");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new Xunit.Sdk.XunitException($"mjpki {string.Join(' ', args)} did not finish in {Timeout}:\n{await stdout}\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A failure as the contract says: non-zero exit, one line on stderr starting "mjpki:", no stack trace.</summary>
    public static string AssertOneLineFailure(CliResult result)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("mjpki:", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout, StringComparison.Ordinal);
        return line;
    }

    public static void AssertSuccess(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.Stderr.Trim().Length == 0, result.ToString());
    }
}
