using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MobileJpki.Pki;

namespace MobileJpki.Bench;

/// <summary>
/// CA signing rate: RSA-2048 SHA-256 PKCS#1 signatures through the PKCS#11 provider on a SoftHSM2 token, next to an
/// in-memory .NET key, on 1 and 2 threads (docs/benchmarks.md, "CA signing: HSM vs software keys").
/// One operation is one signature; signatures/s = 1 s / Mean.
/// </summary>
/// <remarks>
/// Needs the softhsm2 package; the token lives in a temp directory with its own SOFTHSM2_CONF. The short-run job runs
/// in process: nothing to build per case, and the native module sees the SOFTHSM2_CONF set in <see cref="Setup"/>.
/// </remarks>
[Config(typeof(InProcessShortRun))]
public class HsmBenchmarks
{
    private const int SignaturesPerInvoke = 64;
    private static readonly string[] Modules = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"];
    private readonly byte[] _tbs = RandomNumberGenerator.GetBytes(1200);
    private RSA _key = null!;
    private Pkcs11KeyProvider? _provider;
    private string? _directory;

    [Params("software", "softhsm")]
    public string Keys { get; set; } = "software";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        if (Keys == "software")
        {
            _key = RSA.Create(2048);
            return;
        }

        var module = Modules.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("SoftHSM2 is not installed (apt-get install softhsm2).");
        _directory = Directory.CreateTempSubdirectory("mjpki-bench-hsm-").FullName;
        var tokens = Directory.CreateDirectory(Path.Combine(_directory, "tokens")).FullName;
        var config = Path.Combine(_directory, "softhsm2.conf");
        File.WriteAllText(config, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");

        // The native module reads SOFTHSM2_CONF from the C environment, which Environment.SetEnvironmentVariable does not touch.
        _ = SetEnv("SOFTHSM2_CONF", config, 1);
        var init = new ProcessStartInfo("softhsm2-util") { UseShellExecute = false, RedirectStandardOutput = true };
        init.Environment["SOFTHSM2_CONF"] = config;
        foreach (var arg in new[] { "--init-token", "--free", "--label", "bench", "--so-pin", "12345678", "--pin", "1234" })
        {
            init.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(init)!)
        {
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
        }

        _provider = new Pkcs11KeyProvider();
        _key = _provider.CreateKey($"pkcs11:token=bench;object=ca-sign?module-path={module}&pin-value=1234");
    }

    [Benchmark(OperationsPerInvoke = SignaturesPerInvoke, Description = "CA signature (RSA-2048, SHA-256)")]
    public void Sign() => Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
    {
        for (var i = 0; i < SignaturesPerInvoke / Threads; i++)
        {
            _key.SignData(_tbs, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    });

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _provider?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private sealed class InProcessShortRun : ManualConfig
    {
        public InProcessShortRun() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
