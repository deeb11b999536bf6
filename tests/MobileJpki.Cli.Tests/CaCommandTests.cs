using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// <c>mjpki ca init</c> against a real SoftHSM2 token (private SOFTHSM2_CONF in a temp directory), then the real server
/// started on the same key URIs and data directory. softhsm2-util missing is a failure, not a skip (./test.sh installs it).
/// </summary>
public sealed class CaCommandTests : IDisposable
{
    private const string Pin = "4711";
    private static readonly string[] Modules = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"];
    private readonly string _root = Directory.CreateTempSubdirectory("mjpki-ca-init-").FullName;
    private readonly string _config;
    private readonly string _module;

    public CaCommandTests()
    {
        Assert.True(File.Exists("/usr/bin/softhsm2-util"), "softhsm2-util is missing: these tests need SoftHSM2 (./test.sh installs the softhsm2 package).");
        _module = Modules.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("libsofthsm2.so is missing: install the softhsm2 package.");
        var tokens = Directory.CreateDirectory(Path.Combine(_root, "tokens")).FullName;
        _config = Path.Combine(_root, "softhsm2.conf");
        File.WriteAllText(_config, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        var init = RunAsync("/usr/bin/softhsm2-util", ["--init-token", "--free", "--label", "mjpki-ca", "--so-pin", "12345678", "--pin", Pin]).GetAwaiter().GetResult();
        Assert.True(init.ExitCode == 0, init.ToString());
        File.WriteAllText(Path.Combine(_root, "hsm.pin"), Pin + "\n");
    }

    [Fact]
    public async Task CaInit_Pkcs11Keys_CreatesRootsThatTheServerStartsAndSignsWith()
    {
        var data = Path.Combine(_root, "data");
        var signing = KeyUri("ca-sign", "pin-source=file:" + Path.Combine(_root, "hsm.pin"));
        var auth = KeyUri("ca-auth", "pin-value=" + Pin);

        var result = await MjpkiAsync("ca", "init", "--signing-key", signing, "--auth-key", auth, "--data-dir", data, "--base-url", "http://127.0.0.1:5080");

        Mjpki.AssertSuccess(result);
        Assert.DoesNotContain(Pin, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("pin-value=***", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("sha256 fingerprint", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "ca", "sign.cer")));
        Assert.True(File.Exists(Path.Combine(data, "ca", "auth.cer")));
        Assert.False(Directory.Exists(Path.Combine(data, "keys")), "no software key may be written");

        // The server on the same URIs and data directory serves these roots and signs with the HSM keys (/readyz signs with both).
        var port = FreePort();
        using var server = StartServer(port, data, signing, auth);
        var log = new StringBuilder();
        await WaitForStartAsync(server, log);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(data, "ca", "sign.cer")), await http.GetByteArrayAsync("/ca/sign.cer"));
            var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync() + "\n" + log);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        Assert.DoesNotContain(Pin, log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_HsmTokenGone_AnswersServiceUnavailableForIssuanceThenRecoversWithoutRestart()
    {
        var data = Path.Combine(_root, "data-outage");
        var signing = KeyUri("outage-sign");
        var auth = KeyUri("outage-auth");
        Mjpki.AssertSuccess(await MjpkiAsync("ca", "init", "--signing-key", signing, "--auth-key", auth, "--data-dir", data));
        var port = FreePort();
        using var server = StartServer(port, data, signing, auth);
        var log = new StringBuilder();
        await WaitForStartAsync(server, log);
        var tokenDirectory = Assert.Single(Directory.GetDirectories(Path.Combine(_root, "tokens")));
        var parked = Path.Combine(_root, "parked");
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            var issued = await IssueCardAsync(http);
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);

            // An OCSP answer for the new card certificate is signed now, while the HSM is there.
            var card = (await issued.Content.ReadFromJsonAsync<CardIssueResponse>(ProtocolJson.Options))!;
            var caPem = Path.Combine(_root, "outage-ca.pem");
            var certPem = Path.Combine(_root, "outage-card.pem");
            var requestDer = Path.Combine(_root, "outage-req.der");
            await File.WriteAllTextAsync(caPem, PemEncoding.WriteString("CERTIFICATE", Convert.FromBase64String(card.AuthCaCertificate)));
            await File.WriteAllTextAsync(certPem, PemEncoding.WriteString("CERTIFICATE", Convert.FromBase64String(card.AuthCertificate)));
            Mjpki.AssertSuccess(await RunAsync("/usr/bin/openssl", ["ocsp", "-issuer", caPem, "-cert", certPem, "-no_nonce", "-reqout", requestDer]));
            var ocspRequest = await File.ReadAllBytesAsync(requestDer);

            // The first answer may be signed for the request; the refresher pre-signs within a second. Wait until the
            // answer is the stored one (the same bytes twice, more than a second apart: an answer signed per request
            // would carry a later thisUpdate), which is what must outlive the HSM.
            var before = await PostOcspAsync(http, ocspRequest);
            for (var i = 0; i < 20; i++)
            {
                await Task.Delay(1100);
                var again = await PostOcspAsync(http, ocspRequest);
                if (again.AsSpan().SequenceEqual(before))
                {
                    break;
                }

                before = again;
            }

            // The HSM goes away (SoftHSM notices its token directory is gone).
            Directory.Move(tokenDirectory, parked);

            // OCSP is still answered, from the pre-signed response: no signature is needed.
            Assert.Equal(before, await PostOcspAsync(http, ocspRequest));
            var down = await IssueCardAsync(http);
            var problem = await down.Content.ReadAsStringAsync();
            Assert.True(down.StatusCode == HttpStatusCode.ServiceUnavailable, $"{down.StatusCode}: {problem}\n{log}");
            Assert.Contains("\"code\":\"hsm-unavailable\"", problem, StringComparison.Ordinal);
            await UntilReadyzAsync(http, HttpStatusCode.ServiceUnavailable);

            // It comes back: the same server process issues again.
            Directory.Move(parked, tokenDirectory);
            var up = await IssueCardAsync(http);
            Assert.True(up.StatusCode == HttpStatusCode.Created, $"{up.StatusCode}: {await up.Content.ReadAsStringAsync()}\n{log}");
        }
        finally
        {
            if (Directory.Exists(parked))
            {
                Directory.Move(parked, tokenDirectory);
            }

            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task CaInit_KeyAlreadyInToken_RefusesWithOneLine()
    {
        var first = await MjpkiAsync("ca", "init", "--signing-key", KeyUri("ca-sign"), "--auth-key", KeyUri("ca-auth"), "--data-dir", Path.Combine(_root, "one"));
        Mjpki.AssertSuccess(first);

        var again = await MjpkiAsync("ca", "init", "--signing-key", KeyUri("ca-sign"), "--auth-key", KeyUri("ca-other"), "--data-dir", Path.Combine(_root, "two"));

        var line = Mjpki.AssertOneLineFailure(again);
        Assert.Contains("already exists", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Pin, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "two", "ca")) && Directory.EnumerateFiles(Path.Combine(_root, "two", "ca")).Any());
    }

    [Fact]
    public async Task CaInit_WrongPin_FailsWithOneLineWithoutThePin()
    {
        const string wrong = "99998888";

        var result = await MjpkiAsync("ca", "init", "--signing-key", KeyUri("ca-sign", "pin-value=" + wrong), "--auth-key", KeyUri("ca-auth", "pin-value=" + wrong), "--data-dir", Path.Combine(_root, "d"));

        var line = Mjpki.AssertOneLineFailure(result);
        Assert.Contains("refused the configured PIN", line, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_WrongPin_FailsAtStartWithClearMessageWithoutThePin()
    {
        const string wrong = "77776666";
        var data = Path.Combine(_root, "data-wrong");

        using var server = StartServer(FreePort(), data, KeyUri("ca-sign", "pin-value=" + wrong), KeyUri("ca-auth", "pin-value=" + wrong));
        var output = new StringBuilder();
        server.OutputDataReceived += (_, e) => Append(output, e.Data);
        server.ErrorDataReceived += (_, e) => Append(output, e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await server.WaitForExitAsync(timeout.Token);
        server.WaitForExit();

        Assert.NotEqual(0, server.ExitCode);
        var text = output.ToString();
        Assert.Contains("refused the configured PIN", text, StringComparison.Ordinal);
        Assert.Contains("mjpki-ca", text, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, text, StringComparison.Ordinal);
    }

    private static async Task<byte[]> PostOcspAsync(HttpClient http, byte[] request)
    {
        using var content = new ByteArrayContent(request);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/ocsp-request");
        using var response = await http.PostAsync(new Uri("/ocsp/auth", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var der = await response.Content.ReadAsByteArrayAsync();

        // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful(0), responseBytes … }
        Assert.Equal(0, (int)new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence().ReadEnumeratedValue<OcspStatusProbe>());
        return der;
    }

    private static Task<HttpResponseMessage> IssueCardAsync(HttpClient http)
    {
        using var signingKey = RSA.Create(2048);
        using var authKey = RSA.Create(2048);
        return http.PostAsJsonAsync("/api/v1/office/cards", new CardIssueRequest(
            "試験 花子", null, "female", "1992-02-02", "東京都千代田区千代田1番1号", null,
            Convert.ToBase64String(signingKey.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(authKey.ExportSubjectPublicKeyInfo())));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner.
        }
    }

    private string KeyUri(string label, string? pinPart = null) =>
        $"pkcs11:token=mjpki-ca;object={label}?module-path={_module}&{pinPart ?? "pin-value=" + Pin}";

    private Task<CliResult> MjpkiAsync(params string[] args) =>
        RunAsync("dotnet", [Path.Combine(ServerProcess.BinDirectory, "mjpki.dll"), .. args]);

    private async Task<CliResult> RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["SOFTHSM2_CONF"] = _config;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private Process StartServer(int port, string data, string signing, string auth)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["SOFTHSM2_CONF"] = _config;
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var arg in new[]
        {
            Path.Combine(ServerProcess.BinDirectory, "MobileJpki.Server.dll"),
            "--contentRoot", ServerProcess.BinDirectory,
            "--urls", $"http://127.0.0.1:{port}",
            $"--Storage:ConnectionString=Data Source={Path.Combine(_root, Guid.NewGuid().ToString("N") + ".db")}",
            $"--Pki:DataDirectory={data}",
            $"--Pki:BaseUrl=http://127.0.0.1:{port}",
            $"--Pki:SigningCaKeyUri={signing}",
            $"--Pki:AuthCaKeyUri={auth}",
            "--Sandbox:Enabled=true",

            // /readyz reports the CA key probe of the last second, so the outage shows at once.
            "--Telemetry:ReadinessProbeInterval=00:00:01",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Polls /readyz (its answer is the probe of the last second) until it answers <paramref name="expected"/>, for up to 30 s.</summary>
    private static async Task UntilReadyzAsync(HttpClient http, HttpStatusCode expected)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        HttpStatusCode last;
        do
        {
            using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            last = ready.StatusCode;
            if (last == expected)
            {
                return;
            }

            await Task.Delay(200);
        }
        while (TimeProvider.System.GetUtcNow() < deadline);

        Assert.Equal(expected, last);
    }

    private static async Task WaitForStartAsync(Process server, StringBuilder log)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            Append(log, line);
            if (line is not null && line.Contains("Application started", StringComparison.Ordinal))
            {
                started.TrySetResult();
            }
        }

        server.OutputDataReceived += (_, e) => OnLine(e.Data);
        server.ErrorDataReceived += (_, e) => OnLine(e.Data);
        server.EnableRaisingEvents = true;
        server.Exited += (_, _) => started.TrySetException(new InvalidOperationException("the server exited during start"));
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The server did not start: {e.Message}\n{log}", e);
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Only "successful" matters to the outage test; the enumeration needs a type to read into.</summary>
internal enum OcspStatusProbe
{
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}
