using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Bench;

/// <summary>
/// Portal logins per second end to end over loopback (challenge, SE signature, answer, session token) against the real
/// server in a child process, next to a Kestrel hello-world in another child process, loaded by the same closed loop.
/// </summary>
public static class LoginBenchmark
{
    private const string AuthPin = "5678";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary><c>login [phones=8] [seconds=10] [clients=2×cores]</c>; <c>login --hello PORT</c> is the hello-world child.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--hello", var helloPort])
        {
            return await RunHelloAsync(int.Parse(helloPort, CultureInfo.InvariantCulture));
        }

        var phoneCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var duration = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10);
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2 * Environment.ProcessorCount;
        if (phoneCount < clients)
        {
            Console.Error.WriteLine($"need at least as many phones as clients ({clients}): one phone logs in once at a time");
            return 2;
        }

        var quiet = await WaitForQuietAsync();
        var dir = Directory.CreateTempSubdirectory("mjpki-bench-login-");
        var serverUrl = $"http://127.0.0.1:{FreePort()}";
        var helloUrl = $"http://127.0.0.1:{FreePort()}";
        var binDir = AppContext.BaseDirectory;
        using var server = Child.Start(
            "server",
            Path.Combine(binDir, "MobileJpki.Server.dll"),
            dir.FullName,
            ["--contentRoot", binDir, "--urls", serverUrl, $"--Storage:ConnectionString=Data Source={Path.Combine(dir.FullName, "s.db")}",
             $"--Pki:DataDirectory={dir.FullName}", $"--Pki:BaseUrl={serverUrl}", "--Sandbox:Enabled=true",
             "--RateLimits:LoginChallenges:PermitLimit=1000000000"]);
        using var hello = Child.Start("hello", typeof(LoginBenchmark).Assembly.Location, dir.FullName, ["login", "--hello", new Uri(helloUrl).Port.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            using var serverHttp = new HttpClient { BaseAddress = new Uri(serverUrl), Timeout = TimeSpan.FromSeconds(100) };
            using var helloHttp = new HttpClient { BaseAddress = new Uri(helloUrl), Timeout = TimeSpan.FromSeconds(100) };
            await server.WaitReadyAsync(serverHttp, "/healthz");
            await hello.WaitReadyAsync(helloHttp, "/");
            var api = new ServerApi(serverHttp);

            Console.WriteLine($"Registering {phoneCount} phones (card issue → apply → sandbox clock to opening → issue → register; not timed)…");
            var apps = await RegisterPhonesAsync(api, phoneCount);

            var (signWallUs, signCpuUs) = MeasureClientSigning(apps[0]);
            var (rsaSignUs, rsaVerifyUs) = MeasureRsa();
            Console.WriteLine($"client SE login signature (PIN verify + read certificate + RSA-2048 sign, over APDUs): {signWallUs:F0} µs wall, {signCpuUs:F0} µs CPU, one thread");
            Console.WriteLine($"RSA-2048 in .NET, one thread: sign {rsaSignUs:F0} µs, verify {rsaVerifyUs:F1} µs");
            Console.WriteLine($"load: {clients} closed-loop clients, {WarmUp.TotalSeconds:F0} s warm-up, {duration.TotalSeconds:F0} s measured; load average before: {quiet}");

            // The server's own background work (workers, refreshers) while no request arrives, to tell it apart from the logins'.
            var idle0 = server.CpuTicks();
            await Task.Delay(TimeSpan.FromSeconds(3));
            Console.WriteLine($"server idle CPU: {TimeSpan.FromTicks(server.CpuTicks() - idle0).TotalMilliseconds / 3:F1} ms/s");

            var helloResult = await LoadAsync(clients, duration, hello, async (_, ct) => await helloHttp.GetStringAsync(new Uri("/", UriKind.Relative), ct));
            Print("Kestrel hello-world", "requests", helloResult);
            var loginResult = await LoadAsync(clients, duration, server, async (worker, ct) =>
            {
                // Worker w uses phones w, w + clients, …: a phone logs in once at a time, as a person would.
                var mine = worker.Counter++ % ((apps.Length - worker.Index - 1) / clients + 1);
                var session = await apps[worker.Index + (mine * clients)].LoginAsync(AuthPin, ct);
                if (session.Token.Length < 40)
                {
                    throw new InvalidOperationException("the login did not return a session token");
                }
            });
            Print("portal login (2 HTTP requests each)", "logins", loginResult);

            // Step 1 alone (phone authentication + challenge INSERT), so the answer's share is login − challenge.
            var challengeResult = await LoadAsync(clients, duration, server, async (worker, ct) =>
            {
                var mine = worker.Counter++ % ((apps.Length - worker.Index - 1) / clients + 1);
                var phone = apps[worker.Index + (mine * clients)].Phone;
                await api.GetPortalChallengeAsync(phone.PhoneId, phone.App.Values["deviceSecret"], ct);
            });
            Print("login challenge only (step 1)", "challenges", challengeResult);

            Console.WriteLine();
            Console.WriteLine($"logins/s ÷ hello requests/s: {loginResult.PerSecond / helloResult.PerSecond:F3}; login HTTP requests/s ÷ hello requests/s: {2 * loginResult.PerSecond / helloResult.PerSecond:F3}");
            Console.WriteLine($"target ≥ 10,000 logins/s: {(loginResult.PerSecond >= 10_000 ? "met" : "NOT met")} ({loginResult.PerSecond / 10_000:F3} × target)");
            return 0;
        }
        finally
        {
            server.Stop();
            hello.Stop();
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held by the child is left in /tmp.
            }
        }
    }

    private static void Print(string what, string unit, LoadResult r) =>
        Console.WriteLine(
            $"{what}: {r.Count} {unit} in {r.Seconds:F1} s = {r.PerSecond:F0} {unit}/s; latency p50 {r.P50Ms:F2} ms, p99 {r.P99Ms:F2} ms; "
            + $"CPU per {unit[..^1]}: server {r.ServerCpuUs:F0} µs (of which kernel {r.ServerSysUs:F0} µs), client {r.ClientCpuUs:F0} µs");

    private static async Task<PortalApp[]> RegisterPhonesAsync(ServerApi api, int count)
    {
        var clock = new OffsetClock();
        clock.Offset = await api.GetServerTimeAsync(CancellationToken.None) - TimeProvider.System.GetUtcNow();
        var answers = new ApplyOptions { CardPassword = "CARD2023", NewSigningPassword = "PHONE2023", NewAuthPin = AuthPin, Confirmed = true };
        var apps = new PortalApp[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var card = VirtualCard.CreateBlank("CARD2023", "1234");
            var birth = new DateOnly(1950, 1, 1).AddDays(i * 37).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var issued = await api.IssueCardAsync(
                new CardIssueRequest("負荷 試験", null, i % 2 == 0 ? "male" : "female", birth, $"東京都千代田区千代田{(i % 9) + 1}-{(i / 9) + 1}", null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
                ct);
            card.InstallCertificates(
                Convert.FromBase64String(issued.SigningCertificate),
                Convert.FromBase64String(issued.SigningCaCertificate),
                Convert.FromBase64String(issued.AuthCertificate),
                Convert.FromBase64String(issued.AuthCaCertificate));
            var app = new PortalApp(VirtualPhone.Create("pixel-8", clock), () => { }, api, new SilentScreens(), clock);
            await app.ApplyAsync(card.Applet, answers, ct);
            apps[i] = app;
        });

        var moved = await api.ChangeClockAsync(new ClockChange(null, null, true), CancellationToken.None);
        clock.Offset = moved.Now - TimeProvider.System.GetUtcNow();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            await apps[i].WaitAsync(TimeSpan.FromSeconds(120), ct);
            await apps[i].RegisterAsync(ct);
        });
        return apps;
    }

    /// <summary>The client's share: the SE's work for one login (no HTTP), one thread, after a warm-up.</summary>
    private static (double WallUs, double CpuUs) MeasureClientSigning(PortalApp app)
    {
        var challenge = new LoginChallengeView(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.MaxValue, LoginMessage.Portal, string.Empty);
        for (var i = 0; i < 20; i++)
        {
            app.ApproveTerminalLogin(challenge, AuthPin);
        }

        const int n = 300;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            app.ApproveTerminalLogin(challenge, AuthPin);
        }

        return (sw.Elapsed.TotalMicroseconds / n, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / n);
    }

    private static (double SignUs, double VerifyUs) MeasureRsa()
    {
        using var rsa = RSA.Create(2048);
        var data = RandomNumberGenerator.GetBytes(200);
        var signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        const int signs = 300, verifies = 5000;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < signs; i++)
        {
            rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var signUs = sw.Elapsed.TotalMicroseconds / signs;
        sw.Restart();
        for (var i = 0; i < verifies; i++)
        {
            rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        return (signUs, sw.Elapsed.TotalMicroseconds / verifies);
    }

    /// <summary>A closed loop: each client sends its next request when the previous one is answered.</summary>
    private static async Task<LoadResult> LoadAsync(int clients, TimeSpan duration, Child target, Func<Worker, CancellationToken, Task> once)
    {
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long clientCpu0 = 0, serverCpu0 = 0, serverSys0 = 0;
        var snapshot = Task.Run(async () =>
        {
            await Task.Delay(WarmUp);
            clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime.Ticks;
            serverCpu0 = target.CpuTicks();
            serverSys0 = target.SysTicks();
        });
        var workers = Enumerable.Range(0, clients).Select(i => new Worker(i)).ToArray();
        await Task.WhenAll(workers.Select(w => Task.Run(async () =>
        {
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= end)
                {
                    return;
                }

                await once(w, CancellationToken.None);
                var t1 = Stopwatch.GetTimestamp();
                if (t0 >= measureFrom && t1 <= end)
                {
                    w.Latencies.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                }
            }
        })));
        await snapshot;
        var clientCpu = TimeSpan.FromTicks(Process.GetCurrentProcess().TotalProcessorTime.Ticks - clientCpu0);
        var serverCpu = TimeSpan.FromTicks(target.CpuTicks() - serverCpu0);
        var serverSys = TimeSpan.FromTicks(target.SysTicks() - serverSys0);
        var all = workers.SelectMany(w => w.Latencies).Order().ToArray();
        var seconds = duration.TotalSeconds;
        return new LoadResult(
            all.Length,
            seconds,
            all.Length / seconds,
            all[all.Length / 2],
            all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))],
            serverCpu.TotalMicroseconds / all.Length,
            serverSys.TotalMicroseconds / all.Length,
            clientCpu.TotalMicroseconds / all.Length);
    }

    /// <summary>
    /// Waits (≤ 10 minutes, checking every 30 s) for a 1-minute load average below 2; returns the last one seen.
    /// MJPKI_BENCH_NO_WAIT skips the wait (a smoke run).
    /// </summary>
    private static async Task<string> WaitForQuietAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (600 * Stopwatch.Frequency);
        while (true)
        {
            var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0] : "0";
            var value = double.Parse(load, CultureInfo.InvariantCulture);
            if (value < 2 || Environment.GetEnvironmentVariable("MJPKI_BENCH_NO_WAIT") is not null)
            {
                return value < 2 ? $"{load} (quiet)" : $"{load} (NOT quiet: MJPKI_BENCH_NO_WAIT)";
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                Console.WriteLine($"the machine never became quiet (load average {load}); running anyway");
                return $"{load} (NOT quiet: waited 10 minutes)";
            }

            Console.WriteLine($"load average {load} ≥ 2; waiting 30 s for a quiet machine…");
            await Task.Delay(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The hello-world: a minimal WebApplication returning a constant string (request logging off, as the template's appsettings).</summary>
    private static async Task<int> RunHelloAsync(int port)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/", () => "Hello World!");
        await app.RunAsync($"http://127.0.0.1:{port}");
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record LoadResult(int Count, double Seconds, double PerSecond, double P50Ms, double P99Ms, double ServerCpuUs, double ServerSysUs, double ClientCpuUs);

    /// <summary>One closed-loop client and its measured latencies.</summary>
    private sealed class Worker(int index)
    {
        public int Index { get; } = index;

        public int Counter { get; set; }

        public List<double> Latencies { get; } = new(100_000);
    }

    /// <summary>The system clock shifted to the server's sandbox time, so the phones' attestations agree with the server.</summary>
    private sealed class OffsetClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
    }

    /// <summary>A server in a child process (its own CPU time is read from the OS); its output is drained and the tail kept.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly Queue<string> _tail = new();

        private Child(Process process) => _process = process;

        public static Child Start(string name, string dll, string workingDirectory, IEnumerable<string> args)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(dll);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
            start.Environment.Remove("DOTNET_ENVIRONMENT");
            var child = new Child(Process.Start(start) ?? throw new InvalidOperationException($"could not start the {name}"));
            child._process.StandardInput.Close();
            child._process.OutputDataReceived += (_, e) => child.Keep(e.Data);
            child._process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
            child._process.BeginOutputReadLine();
            child._process.BeginErrorReadLine();
            return child;
        }

        public long CpuTicks()
        {
            _process.Refresh();
            return _process.TotalProcessorTime.Ticks;
        }

        public long SysTicks()
        {
            _process.Refresh();
            return _process.PrivilegedProcessorTime.Ticks;
        }

        public async Task WaitReadyAsync(HttpClient http, string path)
        {
            for (var i = 0; i < 600; i++)
            {
                if (_process.HasExited)
                {
                    break;
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100);
            }

            lock (_tail)
            {
                throw new InvalidOperationException("a child server did not start:\n" + string.Join('\n', _tail));
            }
        }

        public void Stop()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }

        public void Dispose() => _process.Dispose();

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_tail)
            {
                _tail.Enqueue(line);
                if (_tail.Count > 50)
                {
                    _tail.Dequeue();
                }
            }
        }
    }

    private sealed class SilentScreens : IAppScreens
    {
        public void Show(string titleJa, string titleEn, string? body = null)
        {
        }

        public void Progress(int percent, string labelJa, string labelEn)
        {
        }

        public string Ask(string promptJa, string promptEn, bool secret) => throw new InvalidOperationException("every answer is given up front");

        public bool Confirm(string promptJa, string promptEn) => true;
    }
}
