using System.Diagnostics;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace MobileJpki.Pki.Tests.Pkcs11;

/// <summary>Every PKCS#11 test runs in this collection, one at a time: they share the process-wide SoftHSM module.</summary>
[CollectionDefinition(Name)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsm>
{
    public const string Name = "SoftHSM";
}

/// <summary>
/// A private SoftHSM2 installation for this test run: its own config (SOFTHSM2_CONF) and token directory in a temp
/// directory, tokens created with softhsm2-util. SoftHSM reads its configuration in C_Initialize, so the variable is set
/// here, before any test loads the module. softhsm2-util missing is a test failure, not a skip (./test.sh installs it).
/// </summary>
public sealed class SoftHsm : IDisposable
{
    public const string UserPin = "1234";
    public const string SoPin = "12345678";

    public static readonly string[] ModuleCandidates = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"];

    public SoftHsm()
    {
        Util = FindUtil() ?? throw new InvalidOperationException(
            "softhsm2-util was not found: the PKCS#11 tests need SoftHSM2 (./test.sh installs the softhsm2 package; or run apt-get install softhsm2).");
        ModulePath = ModuleCandidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"libsofthsm2.so was not found in {string.Join(" or ", ModuleCandidates)}: install the softhsm2 package.");
        Directory = System.IO.Directory.CreateTempSubdirectory("mjpki-softhsm-").FullName;
        TokenDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tokens")).FullName;
        ConfigPath = Path.Combine(Directory, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {TokenDirectory}\nobjectstore.backend = file\nlog.level = ERROR\n");
        // .NET keeps its own copy of the environment on Unix: the native module only sees what setenv(3) writes.
        Assert.Equal(0, SetEnv("SOFTHSM2_CONF", ConfigPath, 1));
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", ConfigPath);
    }

    public string Util { get; }

    public string ModulePath { get; }

    public string Directory { get; }

    public string TokenDirectory { get; }

    public string ConfigPath { get; }

    /// <summary>Initialises a new token; returns the directory SoftHSM keeps it in (to make it "disappear" in tests).</summary>
    public string CreateToken(string label, string pin = UserPin)
    {
        var before = System.IO.Directory.GetDirectories(TokenDirectory).ToHashSet(StringComparer.Ordinal);
        var (code, output) = Run(Util, ConfigPath, "--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", pin);
        Assert.True(code == 0, $"softhsm2-util --init-token failed: {output}");
        return Assert.Single(System.IO.Directory.GetDirectories(TokenDirectory), d => !before.Contains(d));
    }

    /// <summary>A unique token label per test, so tests never see each other's keys.</summary>
    public static string NewLabel(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..32];

    public string KeyUri(string token, string label, string pinPart = "pin-value=" + UserPin) =>
        $"pkcs11:token={token};object={label}?module-path={ModulePath}&{pinPart}";

    /// <summary>
    /// A second, independent Pkcs11Interop handle on the same module, for acting on the HSM "from outside".
    /// Disposing it calls C_Finalize, which wipes the module's state for the whole process.
    /// </summary>
    internal IPkcs11Library OpenOutsideHandle() => Pkcs11Module.LoadDetached(ModulePath);

    internal static ISlot SlotOf(IPkcs11Library library, string token) =>
        library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.TrimEnd(' ', '\0') == token);

    internal static ISession LoggedInSession(IPkcs11Library library, string token)
    {
        var session = SlotOf(library, token).OpenSession(SessionType.ReadOnly);
        try
        {
            session.Login(CKU.CKU_USER, UserPin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Login state is per process: the provider under test logged in already.
        }

        return session;
    }

    public static (int Code, string Output) Run(string file, string? softHsmConfig, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (softHsmConfig is not null)
        {
            start.Environment["SOFTHSM2_CONF"] = softHsmConfig;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    private static string? FindUtil() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(d => Path.Combine(d, "softhsm2-util"))
            .FirstOrDefault(File.Exists);
}
