using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests.Hotline;

/// <summary>
/// 50 parallel sign-ins for one operator on the real server (both providers), with the password comparisons counted
/// and held until every attempt of the burst has been counted: at most the limit are compared, the right password
/// inside the burst fails too, another source is not locked, and the lock ends after its back-off.
/// </summary>
public abstract class SignInBurstTests(SignInBurstServer server)
{
    private const int Burst = 50;
    private const string Attacker = "198.51.100.66";
    private const string Colleague = "192.0.2.7";

    [Fact]
    public async Task FiftyParallelSignIns_ComparesAtMostTheLimit_RightPasswordInsideFails_LockIsPerSourceAndEnds()
    {
        var (name, password) = await AddOperatorAsync();
        var hash = await PasswordHashAsync(name);
        var passwords = server.Passwords;
        passwords.Hold();

        // The right password sits in the middle of the burst.
        var attempts = Enumerable.Range(0, Burst).Select(i => i == Burst / 2 ? password : "wrong password " + i).ToArray();
        var completed = 0;
        var responses = attempts.Select(p => Task.Run(async () =>
        {
            var response = await SignInAsync(name, p, Attacker);
            Interlocked.Increment(ref completed);
            return response;
        })).ToArray();

        // The compared attempts wait inside the comparison; every other one answers at once. Release them only when
        // all 50 have been counted, so a right password cannot slip in before the rest of the burst.
        await PollAsync(() => Volatile.Read(ref completed) + passwords.Entered(hash) >= Burst, "every attempt of the burst counted");
        passwords.Release();
        var answers = await Task.WhenAll(responses);

        Assert.InRange(passwords.Compared(hash), 1, 5);
        Assert.DoesNotContain(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden }));
        Assert.Equal(Burst - passwords.Compared(hash), answers.Count(a => a.StatusCode == HttpStatusCode.Forbidden));
        await using (var db = server.OpenDb())
        {
            Assert.Equal(0, await db.OperatorSessions.CountAsync(s => s.Source == Attacker));
            var outcomes = await db.AuditEntries.Where(e => e.Action == "operator.sign-in" && e.Target == name).Select(e => e.Outcome).ToListAsync();
            Assert.Equal(Burst, outcomes.Count);
            Assert.DoesNotContain("ok", outcomes);
        }

        // The colleague at another address is not locked out by the attacker's failures.
        var compared = passwords.Compared(hash);
        using (var colleague = await SignInAsync(name, password, Colleague))
        {
            Assert.Equal(HttpStatusCode.OK, colleague.StatusCode);
        }

        // The attacker's address stays locked (nothing compared), until the back-off ends.
        using (var locked = await SignInAsync(name, password, Attacker))
        {
            await Problem.AssertAsync(locked, 403, "operator-locked");
        }

        Assert.Equal(compared + 1, passwords.Compared(hash));
        await server.SetClockAsync(server.Clock.GetUtcNow() + new HotlineOptions().SignInBackoff + TimeSpan.FromSeconds(1));
        using var after = await SignInAsync(name, password, Attacker);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    private static async Task PollAsync(Func<bool> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    private async Task<HttpResponseMessage> SignInAsync(string name, string password, string source)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/hotline/sessions") { Content = JsonContent.Create(new OperatorSignIn(name, password)) };
        request.Headers.Add(SignInBurstServer.SourceHeader, source);
        var response = await server.Client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task<(string Name, string Password)> AddOperatorAsync()
    {
        _ = server.Client; // starts the server, which writes the sandbox supervisor file
        var lines = await File.ReadAllLinesAsync(Path.Combine(server.Root, "hotline-supervisor.txt"));
        using var signIn = await SignInAsync(lines[0], lines[1], "127.0.0.1");
        signIn.EnsureSuccessStatusCode();
        var supervisor = (await signIn.Content.ReadFromJsonAsync<OperatorSessionView>())!;
        var name = "burst-" + Guid.NewGuid().ToString("N")[..8];
        const string Password = "burst-target-password-1";
        using var add = new HttpRequestMessage(HttpMethod.Post, "/api/v1/hotline/operators") { Content = JsonContent.Create(new OperatorAddRequest(name, OperatorRules.Operator, Password)) };
        add.Headers.Authorization = new AuthenticationHeaderValue("Bearer", supervisor.Token);
        using var added = await server.Client.SendAsync(add);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        return (name, Password);
    }

    private async Task<string> PasswordHashAsync(string name)
    {
        await using var db = server.OpenDb();
        return Convert.ToHexString((await db.Operators.SingleAsync(o => o.Name == name)).PasswordHash);
    }
}

/// <summary>The server with counted (and, while held, blocked) password comparisons, and the source address taken from a test header.</summary>
public class SignInBurstServer : MjpkiServer
{
    public const string SourceHeader = "X-Test-Source";

    public SignInBurstServer()
    {
    }

    protected SignInBurstServer(Storage.StorageProvider provider)
        : base(provider)
    {
    }

    public CountingPasswords Passwords { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IOperatorPasswords>(Passwords);
            services.AddSingleton<IStartupFilter, SourceFromHeader>();
        });
    }

    private sealed class SourceFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers.TryGetValue(SourceHeader, out var value) && IPAddress.TryParse(value.ToString(), out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return following(context);
            });
            next(app);
        };
    }
}

public sealed class PostgresSignInBurstServer() : SignInBurstServer(Storage.StorageProvider.Postgres);

/// <summary>The real comparison, counted per stored hash; while held, each comparison waits for <see cref="Release"/>.</summary>
public sealed class CountingPasswords : IOperatorPasswords
{
    private readonly ConcurrentDictionary<string, int> _entered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _compared = new(StringComparer.Ordinal);
    private volatile TaskCompletionSource _gate = Released();

    public int Entered(string hashHex) => _entered.GetValueOrDefault(hashHex);

    public int Compared(string hashHex) => _compared.GetValueOrDefault(hashHex);

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public (byte[] Hash, byte[] Salt) Hash(string password, int iterations) => OperatorPasswords.Hash(password, iterations);

    public bool Verify(string password, byte[] hash, byte[] salt, int iterations)
    {
        var key = Convert.ToHexString(hash);
        _entered.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (!_gate.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the test never released the comparisons");
        }

        _compared.AddOrUpdate(key, 1, (_, n) => n + 1);
        return OperatorPasswords.Verify(password, hash, salt, iterations);
    }

    private static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource();
        released.SetResult();
        return released;
    }
}

public sealed class SqliteSignInBurstTests(SignInBurstServer server) : SignInBurstTests(server), IClassFixture<SignInBurstServer>;

public sealed class PostgresSignInBurstTests(PostgresSignInBurstServer server) : SignInBurstTests(server), IClassFixture<PostgresSignInBurstServer>;
