using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;
using MobileJpki.Storage;
using Xunit.Abstractions;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// docs/issuance-cycle.md under SIGKILL: a real server is killed again and again while a batch is in Processing (each
/// kill counted from the database after it), on SQLite and on PostgreSQL. Meanwhile every phone polls for its
/// certificates. After the last restart: no application lost, no serial twice, no certificate that a phone received
/// without a record of it (or revoked as "abandoned", i.e. one the server thinks it never handed out), no phone or
/// person with two live pairs, and no revocation time before an issue time (the sandbox clock survived the restarts).
/// </summary>
public abstract class CrashSafetyTests : IAsyncLifetime
{
    private const int People = 3;
    private const int PhonesPerPerson = 4;
    private const int Kills = 5;
    private readonly ITestOutputHelper _output;
    private readonly PostgresTestDatabase? _postgres;
    private readonly ServerProcess _server;

    protected CrashSafetyTests(StorageProvider provider, ITestOutputHelper output)
    {
        _output = output;
        Provider = provider;
        string[] args = ["--Ra:BatchSize=1"];
        if (provider == StorageProvider.Postgres)
        {
            _postgres = new PostgresTestDatabase();
            args = [.. args, "--Storage:Provider=Postgres", $"--Storage:ConnectionString={_postgres.ConnectionString}"];
        }

        _server = new ServerProcess { ExtraArgs = args };
    }

    private StorageProvider Provider { get; }

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _postgres?.Dispose();
    }

    [Fact]
    public async Task Issue_ServerKilledRepeatedlyDuringABatch_NoApplicationLostNoSerialDuplicatedNothingUnrecorded()
    {
        // Step 1: applications accepted after the 19:30 cut-off, so they wait in the queue together.
        var api = Api();
        var view = await api.GetClockAsync(CancellationToken.None);
        var cutoff = NextJst(view.Now, 19, 31);
        await api.ChangeClockAsync(new ClockChange(null, cutoff, null), CancellationToken.None);
        var phoneClock = new TestFlow.OffsetClock(cutoff - TimeProvider.System.GetUtcNow());
        var receipts = new List<ApplicationReceipt>();
        var apps = new List<PortalApp>();
        for (var person = 0; person < People; person++)
        {
            var card = await TestFlow.IssueCardAsync(api, $"障害 試験{person}", "female", "1990-02-03", "大阪府大阪市北区1-1");
            for (var p = 0; p < PhonesPerPerson; p++)
            {
                // One person, several phones: the one-device rule runs inside the killed batches too.
                var app = TestFlow.NewApp(VirtualPhone.Create("pixel-8", phoneClock), api, phoneClock);
                receipts.Add(await app.ApplyAsync(card.Applet, TestFlow.Answers(), CancellationToken.None));
                apps.Add(app);
            }
        }

        var due = receipts.Max(r => r.ProcessAfter);
        Assert.True(due > cutoff, "the applications must wait for the next opening");

        // Every phone keeps asking for its certificates, across the kills: what it receives is checked at the end.
        using var stopPolling = new CancellationTokenSource();
        var received = new ConcurrentDictionary<string, (string PhoneId, byte[] Der)>(StringComparer.Ordinal);
        var polling = Task.Run(() => PollAsync(apps, received, stopPolling.Token));

        // Step 2: open the window once (the clock is stored, so it stays open across restarts), then kill the server
        // right after the database shows a batch in Processing, and count from the database whether it still was.
        await api.ChangeClockAsync(new ClockChange(null, due, null), CancellationToken.None);
        var landed = 0;
        var landedAfterSigning = 0;
        for (var round = 0; round < Kills; round++)
        {
            var before = (await Api().GetClockAsync(CancellationToken.None)).Now;
            if (!await WaitForProcessingAsync())
            {
                break; // everything was issued before this round's kill
            }

            // Killed the moment the database shows a batch in Processing; whether it still was is read back below.
            await _server.KillAsync();
            var killed = await ReadAsync();
            var processing = killed.Applications.Where(a => a.Status == (int)ApplicationStatus.Processing).Select(a => a.Id).ToHashSet();
            if (processing.Count > 0)
            {
                landed++;
            }

            if (killed.Certificates.Any(c => c.ApplicationId is { } id && processing.Contains(id) && c.Status == (int)CertificateStatus.Issued))
            {
                landedAfterSigning++;
            }

            AssertInvariants(killed, finished: false);
            await _server.RestartAsync();

            // The sandbox clock continues where it was: a restart never moves "now" back.
            Assert.True((await Api().GetClockAsync(CancellationToken.None)).Now >= before, "the sandbox clock went back after a restart");
        }

        _output.WriteLine($"{Provider}: {landed} of {Kills} kills landed while a batch was in Processing, {landedAfterSigning} after the CA had signed");
        // A batch of one takes milliseconds, so some kills come just after it committed; most must land inside one.
        Assert.True(landed >= Kills / 2, $"only {landed} of {Kills} kills landed while a batch was in Processing");

        // Step 3: the last restart is left alone to finish.
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        Snapshot snapshot;
        while (true)
        {
            snapshot = await ReadAsync();
            if (snapshot.Applications.All(a => a.Status is (int)ApplicationStatus.Issued or (int)ApplicationStatus.Rejected))
            {
                break;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"applications still waiting\n{_server.Log}");
            await Task.Delay(200);
        }

        // One more sweep of every phone after the end, then the poller stops.
        await PollOnceAsync(apps, received, CancellationToken.None);
        await stopPolling.CancelAsync();
        await polling;

        // 0 lost: every accepted application is there and issued.
        Assert.Equal(receipts.Select(r => Guid.Parse(r.ApplicationId)).Order(), snapshot.Applications.Select(a => a.Id).Order());
        Assert.All(snapshot.Applications, a => Assert.Equal((int)ApplicationStatus.Issued, a.Status));
        AssertInvariants(snapshot, finished: true);

        // 0 certificates without a record: whatever a phone received is on record, byte for byte, as that phone's,
        // from an issued application, and was never revoked as "abandoned" (which would mean it was never handed out).
        Assert.NotEmpty(received);
        var bySerial = snapshot.Certificates.ToDictionary(c => c.Serial, StringComparer.Ordinal);
        foreach (var (serial, (phoneId, der)) in received)
        {
            Assert.True(bySerial.TryGetValue(serial, out var row), $"phone {phoneId} received certificate {serial}, which is not on record");
            Assert.Equal(der, row!.Der);
            Assert.Equal(phoneId, row.PhoneId);
            Assert.NotEqual(RevocationReasons.Abandoned, row.RevocationReason);
            Assert.Equal((int)ApplicationStatus.Issued, snapshot.Applications.Single(a => a.Id == row.ApplicationId).Status);
        }
    }

    private static void AssertInvariants(Snapshot s, bool finished)
    {
        // 0 duplicate serials, and the serial inside every signed certificate is the serial it is recorded under.
        Assert.Equal(s.Certificates.Count, s.Certificates.Select(c => c.Serial).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var c in s.Certificates)
        {
            if (c.Status == (int)CertificateStatus.Pending)
            {
                Assert.Null(c.Der);
                continue;
            }

            Assert.NotNull(c.Der);
            using var cert = X509CertificateLoader.LoadCertificate(c.Der!);
            Assert.Equal(c.Serial, cert.SerialNumber.ToLowerInvariant());
            Assert.True(c.RevokedAt is null || c.RevokedAt >= c.IssuedAt, $"certificate {c.Serial} revoked at {c.RevokedAt} before it was issued at {c.IssuedAt}");
        }

        // No application lost: every accepted one is still there, queued, in progress or done.
        Assert.All(s.Applications, a => Assert.InRange(a.Status, (int)ApplicationStatus.Queued, (int)ApplicationStatus.Rejected));

        // What a phone can be handed (certificates of issued applications): at most one live certificate per kind on a
        // phone, so no phone ever holds two live pairs, and each person's live certificates are on one phone only.
        var issuedApps = s.Applications.Where(a => a.Status == (int)ApplicationStatus.Issued).Select(a => a.Id).ToHashSet();
        var handedOut = s.Certificates
            .Where(c => c.PhoneId is not null && c.ApplicationId is { } id && issuedApps.Contains(id) && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active)
            .ToList();
        foreach (var phone in handedOut.GroupBy(c => c.PhoneId))
        {
            Assert.Equal(phone.Count(), phone.Select(c => c.Kind).Distinct().Count());
        }

        foreach (var person in handedOut.GroupBy(c => c.PersonId))
        {
            Assert.Single(person.Select(c => c.PhoneId).Distinct());
        }

        if (finished)
        {
            // Each person ends with exactly one live pair: what interrupted rounds signed was revoked, not left live.
            var live = s.Certificates.Where(c => c.PhoneId is not null && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active).ToList();
            foreach (var person in s.Applications.GroupBy(a => a.PersonId))
            {
                Assert.Equal(2, live.Count(c => c.PersonId == person.Key));
            }
        }
    }

    private static async Task PollAsync(IReadOnlyList<PortalApp> apps, ConcurrentDictionary<string, (string PhoneId, byte[] Der)> received, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await PollOnceAsync(apps, received, ct);
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static async Task PollOnceAsync(IReadOnlyList<PortalApp> apps, ConcurrentDictionary<string, (string PhoneId, byte[] Der)> received, CancellationToken ct)
    {
        foreach (var app in apps)
        {
            if (ct.IsCancellationRequested)
            {
                return;
            }

            try
            {
                var status = await app.SyncAsync(CancellationToken.None, withCertificates: true);
                foreach (var c in status.Certificates.Where(c => c.Certificate is not null))
                {
                    received.TryAdd(c.Serial, (app.Phone.PhoneId, Convert.FromBase64String(c.Certificate!)));
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or AppException)
            {
                // The server is down (killed, restarting); the next sweep asks again.
            }
        }
    }

    /// <summary>Polls the database until a batch is in Processing; false when nothing is left to issue.</summary>
    private async Task<bool> WaitForProcessingAsync()
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (TimeProvider.System.GetUtcNow() < deadline)
        {
            await using var db = OpenDb();
            if (await db.Applications.AnyAsync(a => a.Status == (int)ApplicationStatus.Processing))
            {
                return true;
            }

            if (!await db.Applications.AnyAsync(a => a.Status == (int)ApplicationStatus.Queued))
            {
                return false;
            }

            await Task.Delay(2);
        }

        throw new TimeoutException($"no batch reached Processing in 30 s\n{_server.Log}");
    }

    private MjpkiDbContext OpenDb() => Provider == StorageProvider.Postgres
        ? new(MjpkiDatabase.Configure(new DbContextOptionsBuilder<MjpkiDbContext>(), StorageProvider.Postgres, _postgres!.ConnectionString).Options)
        : new(new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite($"Data Source={_server.DatabasePath}").Options);

    private async Task<Snapshot> ReadAsync()
    {
        Snapshot snapshot;
        await using (var db = OpenDb())
        {
            snapshot = new Snapshot(await db.Applications.AsNoTracking().ToListAsync(), await db.Certificates.AsNoTracking().ToListAsync());
        }

        SqliteConnection.ClearAllPools();
        return snapshot;
    }

    private ServerApi Api() => new(new HttpClient { BaseAddress = new Uri(_server.Url), Timeout = TimeSpan.FromSeconds(60) });

    private static DateTimeOffset NextJst(DateTimeOffset now, int hour, int minute)
    {
        var jst = now.ToOffset(TimeSpan.FromHours(9));
        var candidate = new DateTimeOffset(jst.Year, jst.Month, jst.Day, hour, minute, 0, TimeSpan.FromHours(9));
        return candidate > now ? candidate : candidate.AddDays(1);
    }

    private sealed record Snapshot(List<ApplicationEntity> Applications, List<CertificateEntity> Certificates);
}

public sealed class CrashSafetySqliteTests(ITestOutputHelper output) : CrashSafetyTests(StorageProvider.Sqlite, output);

