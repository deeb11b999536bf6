using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Card;

namespace MobileJpki.Cli.Tests.Pcsc;

/// <summary>
/// Tests that put a card in pcscd's one vpcd slot ("Virtual PCD 00 00"): they run one at a time. Every test that
/// needs the slot lives in this assembly and this collection (test assemblies run in parallel with each other).
/// </summary>
[CollectionDefinition(Name)]
public sealed class VpcdCollection
{
    public const string Name = "vpcd slot";
}

/// <summary>Helpers for the PC/SC tests: the pcscd requirement, external tools, and the bridge as a process.</summary>
internal static class Pcscd
{
    public const string Variable = "MJPKI_TEST_PCSCD";
    public const string Reader = "Virtual PCD 00 00";
    public const string Pkcs11Module = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

    /// <summary>Fails (never skips) when pcscd is not provided: tests/services/pcscd.sh sets the variable.</summary>
    public static void Require() =>
        Assert.True(Environment.GetEnvironmentVariable(Variable) == "1",
            $"{Variable} is not set: this test needs pcscd with vsmartcard-vpcd and OpenSC (./test.sh starts them; see tests/services/pcscd.sh).");

    public static async Task<CliResult> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new Xunit.Sdk.XunitException($"{file} {string.Join(' ', args)} did not finish:\n{await stdout}\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<CliResult> MjpkiAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync("dotnet", [Path.Combine(ServerProcess.BinDirectory, "mjpki.dll"), .. args], workingDirectory, environment);

    /// <summary>Polls <c>opensc-tool -n</c> until the card in the slot is recognised as JPKI.</summary>
    public static async Task WaitForJpkiCardAsync(BridgeProcess bridge)
    {
        CliResult? last = null;
        for (var i = 0; i < 60; i++)
        {
            last = await RunAsync("opensc-tool", ["--reader", Reader, "-n"]);
            if (last.ExitCode == 0 && last.Stdout.Contains("jpki", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"OpenSC never saw the card in '{Reader}':\n{last}\n--- bridge\n{bridge.Output}");
    }

    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A card like the municipal office's, with its own throwaway CAs (no server needed).</summary>
    public static (VirtualCard Card, X509Certificate2 Signing, X509Certificate2 Auth) NewCard(string signingPassword, string authPin)
    {
        var card = VirtualCard.CreateBlank(signingPassword, authPin);
        using var signingCaKey = RSA.Create(2048);
        using var authCaKey = RSA.Create(2048);
        using var signingCa = SelfSigned("CN=Test JPKI for digital signature, C=JP", signingCaKey);
        using var authCa = SelfSigned("CN=Test JPKI for user authentication, C=JP", authCaKey);
        var signing = Issue(card.SigningPublicKeyInfo, signingCa, "CN=Test Signer, C=JP");
        var auth = Issue(card.AuthPublicKeyInfo, authCa, "CN=Test Auth, C=JP");
        card.InstallCertificates(signing.RawData, signingCa.RawData, auth.RawData, authCa.RawData);
        return (card, signing, auth);
    }

    private static X509Certificate2 SelfSigned(string name, RSA key)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
    }

    private static X509Certificate2 Issue(byte[] subjectPublicKeyInfo, X509Certificate2 ca, string subject)
    {
        var request = new CertificateRequest(new X500DistinguishedName(subject), PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = TimeProvider.System.GetUtcNow();
        return request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(8));
    }
}

/// <summary><c>mjpki card serve</c> as a child process; killed on dispose.</summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    private readonly StringBuilder output = new();
    private readonly Process process;

    private BridgeProcess(Process process)
    {
        this.process = process;
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public static BridgeProcess Start(string workingDirectory, params string[] args)
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
        start.ArgumentList.Add("card");
        start.ArgumentList.Add("serve");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start mjpki card serve");
        var bridge = new BridgeProcess(process);
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => bridge.OnLine("out: ", e.Data);
        process.ErrorDataReceived += (_, e) => bridge.OnLine("err: ", e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return bridge;
    }

    /// <summary>Waits until <paramref name="text"/> has been printed <paramref name="times"/> times.</summary>
    public async Task WaitForAsync(string text, int times = 1)
    {
        for (var i = 0; i < 300; i++)
        {
            var seen = Output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
            if (seen >= times)
            {
                return;
            }

            Assert.False(process.HasExited, $"mjpki card serve exited:\n{Output}");
            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"mjpki card serve never printed '{text}' {times} time(s):\n{Output}");
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    private void OnLine(string prefix, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(prefix).AppendLine(line);
        }
    }
}
