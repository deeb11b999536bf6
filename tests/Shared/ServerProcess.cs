using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;

namespace MobileJpki.Tests.Shared;

/// <summary>
/// The real server as a child process (the Server dll and its appsettings.json in this test's output), on a free
/// loopback port, with its SQLite file and data directory in a temp directory of its own; killed and deleted on dispose.
/// One per test class (<see cref="IClassFixture{TFixture}"/>).
/// </summary>
public sealed class ServerProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly StringBuilder _log = new();
    private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;

    public ServerProcess()
    {
        Root = Directory.CreateTempSubdirectory("mjpki-cli-tests-").FullName;
        Port = FreePort();
        Url = $"http://127.0.0.1:{Port}";
    }

    public string Root { get; }

    public int Port { get; }

    public string Url { get; }

    public string DatabasePath => Path.Combine(Root, "s.db");

    /// <summary>
    /// More command-line settings, after the defaults (a later value of a key wins), e.g. another
    /// <c>--Storage:Provider</c>/<c>--Storage:ConnectionString</c> or a shared <c>--Pki:DataDirectory</c>.
    /// </summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string BinDirectory => AppContext.BaseDirectory;

    public Task InitializeAsync() => StartAsync();

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a crash or an OOM kill does.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
        }

        if (_process is not null)
        {
            await _process.WaitForExitAsync();
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same directory, database and port.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartAsync();
    }

    private async Task StartAsync()
    {
        var dll = Path.Combine(BinDirectory, "MobileJpki.Server.dll");
        Assert.True(File.Exists(dll), $"{dll} is not in the test output");
        Assert.True(File.Exists(Path.Combine(BinDirectory, "appsettings.json")), "the server's appsettings.json is not in the test output");

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[]
        {
            dll,
            "--contentRoot", BinDirectory,
            "--urls", Url,
            $"--Storage:ConnectionString=Data Source={DatabasePath}",
            $"--Pki:DataDirectory={Root}",
            $"--Pki:BaseUrl={Url}",
            "--Sandbox:Enabled=true",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        }.Concat(TestRateLimits.Unthrottled.Select(s => $"--{s.Key}={s.Value}")).Concat(ExtraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        // The content root (and so appsettings.json) is the dll's directory; the working directory is the temp directory.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.EnableRaisingEvents = true;
        var started = _started;
        _process.Exited += (_, _) => started.TrySetException(new InvalidOperationException("the server exited during start"));
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        try
        {
            await _started.Task.WaitAsync(StartTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The server did not start: {e.Message}\n{Log}", e);
        }

        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        using var health = await http.GetAsync("/healthz");
        Assert.True(health.IsSuccessStatusCode, $"/healthz answered {(int)health.StatusCode}\n{Log}");
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }
}

