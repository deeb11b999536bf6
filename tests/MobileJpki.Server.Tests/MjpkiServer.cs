using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Server.Hosting;
using MobileJpki.Storage;
using MobileJpki.Tests.Shared;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The real server in-process, with its SQLite file and data directory in one temp directory of its own
/// (one per test class via <see cref="IClassFixture{TFixture}"/>), deleted on dispose. <see cref="PostgresMjpkiServer"/>
/// runs it on a PostgreSQL database of its own instead.
/// </summary>
public class MjpkiServer : WebApplicationFactory<Program>
{
    private readonly Lazy<HttpClient> _client;
    private readonly PostgresTestDatabase? _postgres;

    public MjpkiServer()
        : this(StorageProvider.Sqlite)
    {
    }

    protected MjpkiServer(StorageProvider provider)
    {
        Provider = provider;
        Root = Directory.CreateTempSubdirectory("mjpki-server-tests-").FullName;
        if (provider == StorageProvider.Postgres)
        {
            _postgres = new PostgresTestDatabase();
            ConnectionString = _postgres.ConnectionString;
        }
        else
        {
            ConnectionString = $"Data Source={Path.Combine(Root, "t.db")}";
        }

        _client = new Lazy<HttpClient>(() => CreateClient());
    }

    public StorageProvider Provider { get; }

    /// <summary>The temp directory: the CA data directory, and the database file on SQLite.</summary>
    public string Root { get; }

    public string ConnectionString { get; }

    public HttpClient Client => _client.Value;

    /// <summary>What the server connects with; the tests' own reads use <see cref="ConnectionString"/> directly.</summary>
    protected virtual string ServerConnectionString => ConnectionString;

    public ServerApi Api => new(Client);

    /// <summary>The service's clock; virtual phones use it too, so their attestations agree with the server's "now".</summary>
    public SandboxClock Clock => Services.GetRequiredService<SandboxClock>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:Provider", Provider.ToString());
        builder.UseSetting("Storage:ConnectionString", ServerConnectionString);
        builder.UseSetting("Pki:DataDirectory", Root);
        builder.UseSetting("Sandbox:Enabled", "true");
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));

        // Every test client is one source: the limits are lifted, ThrottlingTests set their own.
        foreach (var setting in TestRateLimits.Unthrottled)
        {
            builder.UseSetting(setting.Key, setting.Value);
        }
    }

    /// <summary>A fresh context on the same file, independent of the server's pooled contexts.</summary>
    public MjpkiDbContext OpenDb()
    {
        // The server migrates the database when it starts; start it first if no request has yet.
        _ = Services;
        return new(MjpkiDatabase.Configure(new DbContextOptionsBuilder<MjpkiDbContext>(), Provider, ConnectionString).Options);
    }

    /// <summary>
    /// Rows a request itself can add (a rejected one must add none). Certificates and notices are left out: the
    /// issuance worker writes those in the background for applications of earlier tests.
    /// </summary>
    public async Task<(int Persons, int Phones, int Applications)> CountsAsync()
    {
        await using var db = OpenDb();
        return (await db.Persons.CountAsync(), await db.Phones.CountAsync(), await db.Applications.CountAsync());
    }

    /// <summary>市区町村窓口: a blank card gets its two certificates from this server's CA.</summary>
    public Task<TestCard> IssueCardAsync(string name = "デジタル 太郎", string birthDate = "1985-04-01", string gender = "male", string address = "東京都千代田区紀尾井町1-3") =>
        TestCard.IssueAsync(Api, name, birthDate, gender, address);

    public VirtualPhone NewPhone(string model = "pixel-8") => VirtualPhone.Create(model, Clock);

    public PortalApp NewApp(VirtualPhone phone, IAppScreens? screens = null, HttpClient? client = null) =>
        new(phone, () => { }, new ServerApi(client ?? Client), screens ?? new RecordingScreens(), Clock);

    /// <summary>A client whose traffic is recorded (and optionally intercepted).</summary>
    public (HttpClient Client, RecordingHandler Recorder) CreateRecordingClient()
    {
        var recorder = new RecordingHandler();
        var client = CreateDefaultClient(recorder);
        return (client, recorder);
    }

    /// <summary>Moves the sandbox clock into the issuance window (a no-op when it is open).</summary>
    public async Task<ClockView> ToOpeningAsync()
    {
        using var response = await Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { toOpening = true });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ClockView>(ProtocolJson.Options))!;
    }

    public async Task<ClockView> SetClockAsync(DateTimeOffset instant)
    {
        using var response = await Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { set = instant });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ClockView>(ProtocolJson.Options))!;
    }

    public async Task<X509Certificate2> CaCertificateAsync(string name) =>
        X509CertificateLoader.LoadCertificate(await Client.GetByteArrayAsync($"/ca/{name}"));

    /// <summary>Applies with both kinds and standard answers.</summary>
    public static ApplyOptions Answers(string cardPassword, IReadOnlyList<MobileJpki.Core.Hierarchy>? kinds = null) => new()
    {
        CardPassword = cardPassword,
        Kinds = kinds,
        NewSigningPassword = "PHONE2023",
        NewAuthPin = "5678",
        Confirmed = true,
    };

    /// <summary>Apply → wait for the push notification (long-poll) → register, inside the window.</summary>
    public async Task<IReadOnlyList<X509Certificate2>> ApplyAndRegisterAsync(PortalApp app, TestCard card, IReadOnlyList<MobileJpki.Core.Hierarchy>? kinds = null)
    {
        await ToOpeningAsync();
        await app.ApplyAsync(card.Card.Applet, Answers(card.Password, kinds), CancellationToken.None);
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        return await app.RegisterAsync(CancellationToken.None);
    }

    protected override void Dispose(bool disposing)
    {
        if (_client?.IsValueCreated == true)
        {
            _client!.Value.Dispose();
        }

        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            _postgres?.Dispose();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a finishing request; the OS temp cleaner takes it.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }
    }
}

/// <summary>The real server in-process on a PostgreSQL database of its own (MJPKI_TEST_POSTGRES), dropped on dispose.</summary>
public sealed class PostgresMjpkiServer() : MjpkiServer(StorageProvider.Postgres);

/// <summary>A virtual My Number Card with certificates from a test server.</summary>
public sealed record TestCard(VirtualCard Card, string Password, CardIssueResponse Issued)
{
    public const string DefaultPassword = "CARD2023";

    public X509Certificate2 SigningCertificate => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(Issued.SigningCertificate));

    public X509Certificate2 AuthCertificate => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(Issued.AuthCertificate));

    public static async Task<TestCard> IssueAsync(ServerApi api, string name, string birthDate, string gender, string address)
    {
        var card = VirtualCard.CreateBlank(DefaultPassword, "1234");
        var issued = await api.IssueCardAsync(
            new CardIssueRequest(name, null, gender, birthDate, address, null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            CancellationToken.None);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));
        return new TestCard(card, DefaultPassword, issued);
    }
}

/// <summary>The portal app's screens in script mode, recording every title.</summary>
public sealed class RecordingScreens : IAppScreens
{
    private readonly List<string> _titles = [];

    public IReadOnlyList<string> Titles
    {
        get
        {
            lock (_titles)
            {
                return [.. _titles];
            }
        }
    }

    public void Show(string titleJa, string titleEn, string? body = null)
    {
        lock (_titles)
        {
            _titles.Add(titleJa);
        }
    }

    public void Progress(int percent, string labelJa, string labelEn)
    {
    }

    public string Ask(string promptJa, string promptEn, bool secret) =>
        throw new AppException("input-required", "Script mode: every answer is given up front. " + promptEn);

    public bool Confirm(string promptJa, string promptEn) => true;
}

/// <summary>Records every request and its (buffered) response; can answer a request itself instead of the server.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    private readonly List<(HttpMethod Method, string Path, string? RequestBody, int Status, string ResponseBody)> _exchanges = [];

    /// <summary>When it returns a response, the request never reaches the server.</summary>
    public Func<HttpRequestMessage, string?, HttpResponseMessage?>? Intercept { get; set; }

    public IReadOnlyList<(HttpMethod Method, string Path, string? RequestBody, int Status, string ResponseBody)> Exchanges
    {
        get
        {
            lock (_exchanges)
            {
                return [.. _exchanges];
            }
        }
    }

    public (int Status, string Body) LastFor(string pathPrefix)
    {
        var match = Exchanges.Last(e => e.Path.StartsWith(pathPrefix, StringComparison.Ordinal));
        return (match.Status, match.ResponseBody);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var requestBody = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var response = Intercept?.Invoke(request, requestBody) ?? await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        lock (_exchanges)
        {
            _exchanges.Add((request.Method, request.RequestUri!.AbsolutePath, requestBody, (int)response.StatusCode, body));
        }

        return response;
    }
}

/// <summary>Checks of problem+json answers.</summary>
public static class Problem
{
    /// <summary>Asserts status, media type, the code, and that nothing internal leaks.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, int status, string? code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return AssertBody(body, code);
    }

    public static JsonElement AssertBody(string body, string? code)
    {
        AssertNoInternals(body);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        if (code is not null)
        {
            Assert.True(problem.TryGetProperty("code", out var c), "problem+json without 'code': " + body);
            Assert.Equal(code, c.GetString());
            Assert.EndsWith("#" + code, problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        }

        return problem;
    }

    public static void AssertNoInternals(string body)
    {
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        foreach (var leak in new[] { "Exception", "System.", "MobileJpki.", "stackTrace", ".cs:line" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
        }
    }
}
