using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The database goes away under a running server (PostgreSQL behind a TCP proxy the test cuts): applying answers
/// 503 database-unavailable within seconds, nothing is half-written, and the server recovers when it is back.
/// </summary>
public sealed class DatabaseDownTests(ProxiedPostgresServer server) : IClassFixture<ProxiedPostgresServer>
{
    [Fact]
    public async Task Apply_DatabaseDown_Fast503AndNothingWrittenThenRecovers()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone("pixel-8");
        var (client, recorder) = server.CreateRecordingClient();
        var app = server.NewApp(phone, client: client);
        var before = await server.CountsAsync();

        server.Proxy.Cut();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));
        watch.Stop();

        var (status, body) = recorder.LastFor("/api/v1/applications");
        Assert.Equal(503, status);
        Problem.AssertBody(body, "database-unavailable");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"the 503 took {watch.Elapsed}");

        // The database is back: nothing of the refused application was stored, and applying works again.
        server.Proxy.Restore();
        Assert.Equal(before, await server.CountsAsync());
        var receipt = await app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);
        Assert.Equal("queued", receipt.Status);
        await using var db = server.OpenDb();
        Assert.Equal(1, await db.Applications.CountAsync(a => a.PhoneId == phone.PhoneId));
    }
}

/// <summary>The in-process server on its own PostgreSQL database, reached through a <see cref="TcpProxy"/>.</summary>
public sealed class ProxiedPostgresServer : MjpkiServer
{
    public ProxiedPostgresServer()
        : base(Storage.StorageProvider.Postgres)
    {
        var target = new NpgsqlConnectionStringBuilder(ConnectionString);
        Proxy = new TcpProxy(target.Host!, target.Port);
    }

    public TcpProxy Proxy { get; }

    protected override string ServerConnectionString =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = Proxy.Port }.ConnectionString;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Proxy.Dispose();
        }
    }
}

/// <summary>
/// Forwards loopback connections to a server; <see cref="Cut"/> drops every open connection and refuses new ones
/// (as a crashed or partitioned database looks to a client) until <see cref="Restore"/>.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _open = [];
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;
    private int _disposed;

    public TcpProxy(string host, int port)
    {
        (_host, _port) = (host, port);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var c in _open)
            {
                c.Dispose();
            }

            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    public void Dispose()
    {
        // WebApplicationFactory may dispose its fixture twice (Dispose and DisposeAsync).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_cut)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_host, _port);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }

            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = client.GetStream().CopyToAsync(server.GetStream(), done.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // One side went away (or the test cut the line): close both.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(server);
            }

            client.Dispose();
        }
    }
}
