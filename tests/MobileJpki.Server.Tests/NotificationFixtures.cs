using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using MobileJpki.App;
using MobileJpki.Storage;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The real SMTP server that ./test.sh starts (tests/services/smtp.sh: Debian's aiosmtpd on loopback, storing every
/// message in a maildir). A test that needs it fails, naming the variable, when it is not there.
/// </summary>
public static class TestSmtp
{
    public const string PortVariable = "MJPKI_TEST_SMTP_PORT";
    public const string MaildirVariable = "MJPKI_TEST_SMTP_MAILDIR";

    public static int? ConfiguredPort => int.TryParse(Environment.GetEnvironmentVariable(PortVariable), out var p) ? p : null;

    public static int Port => ConfiguredPort
        ?? throw new InvalidOperationException($"{PortVariable} is not set: run ./test.sh, whose tests/services/smtp.sh starts the test SMTP server.");

    public static string Maildir => Environment.GetEnvironmentVariable(MaildirVariable) is { Length: > 0 } dir
        ? dir
        : throw new InvalidOperationException($"{MaildirVariable} is not set: run ./test.sh, whose tests/services/smtp.sh starts the test SMTP server.");

    /// <summary>Every message the server received for <paramref name="address"/>.</summary>
    public static IReadOnlyList<MimeMessage> MessagesTo(string address)
    {
        var found = new List<MimeMessage>();
        foreach (var sub in new[] { "new", "cur" })
        {
            var dir = Path.Combine(Maildir, sub);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir))
            {
                var message = MimeMessage.Load(file);
                if (message.To.Mailboxes.Any(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase)))
                {
                    found.Add(message);
                }
            }
        }

        return found;
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>The server with e-mail going to the test SMTP server.</summary>
public sealed class EmailServer : MjpkiServer
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifications:Smtp:Host", "127.0.0.1");

        // Without the service a closed port: the server starts, and the tests fail on TestSmtp.Port with its name.
        builder.UseSetting("Notifications:Smtp:Port", (TestSmtp.ConfiguredPort ?? TestSmtp.FreePort()).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Notifications:Smtp:From", "マイナポータル <noreply@mobilejpki.example>");
    }
}

/// <summary>
/// The server with e-mail going to a port nobody listens on (the relay is down) until <see cref="StartRelay"/>
/// forwards that port to the test SMTP server (the relay is back).
/// </summary>
public sealed class FlakySmtpServer : MjpkiServer
{
    private TcpRelay? _relay;

    public int RelayPort { get; } = TestSmtp.FreePort();

    public void StartRelay() => _relay ??= TcpRelay.Start(RelayPort, TestSmtp.Port);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifications:Smtp:Host", "127.0.0.1");
        builder.UseSetting("Notifications:Smtp:Port", RelayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Notifications:Smtp:UserName", string.Empty);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _relay?.Dispose();
            _relay = null;
        }

        base.Dispose(disposing);
    }
}

/// <summary>A loopback TCP forwarder: what "the SMTP server came back" looks like to the service.</summary>
public sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    private TcpRelay(int port) => _listener = new TcpListener(IPAddress.Loopback, port);

    public static TcpRelay Start(int listenPort, int targetPort)
    {
        var relay = new TcpRelay(listenPort);
        relay._listener.Start();
        _ = relay.AcceptAsync(targetPort);
        return relay;
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    private async Task AcceptAsync(int targetPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PumpAsync(client, targetPort);
        }
    }

    private static async Task PumpAsync(TcpClient client, int targetPort)
    {
        using (client)
        using (var target = new TcpClient())
        {
            try
            {
                await target.ConnectAsync(IPAddress.Loopback, targetPort);
                var a = client.GetStream();
                var b = target.GetStream();
                await Task.WhenAny(a.CopyToAsync(b), b.CopyToAsync(a));
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // A connection ended.
            }
        }
    }
}

/// <summary>Shared steps of the notification tests.</summary>
internal static class NotificationSteps
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static ApplyOptions Answers(string cardPassword, string? email) => new()
    {
        CardPassword = cardPassword,
        NewSigningPassword = "PHONE2023",
        NewAuthPin = "5678",
        Confirmed = true,
        Email = email,
    };

    /// <summary>The next instant at 19:30 JST: applications then wait for the next opening.</summary>
    public static DateTimeOffset NextCutoff(DateTimeOffset now)
    {
        var jst = now.ToOffset(Jst);
        var at = new DateTimeOffset(jst.Date.AddHours(19).AddMinutes(30), Jst);
        return at > now ? at : at.AddDays(1);
    }

    /// <summary>Polls the database until <paramref name="query"/> yields a row, for up to <paramref name="seconds"/>.</summary>
    public static async Task<T> WaitForAsync<T>(MjpkiServer server, Func<MjpkiDbContext, Task<T?>> query, string what, int seconds = 30)
        where T : class
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await using (var db = server.OpenDb())
            {
                if (await query(db) is { } found)
                {
                    return found;
                }
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(100);
        }
    }

    public static Task<OutboxMessageEntity> WaitForOutboxAsync(MjpkiServer server, string key, Func<OutboxMessageEntity, bool> condition, string what, int seconds = 30) =>
        WaitForAsync(server, async db => await db.Outbox.AsNoTracking().FirstOrDefaultAsync(o => o.IdempotencyKey == key) is { } row && condition(row) ? row : null, what, seconds);
}
