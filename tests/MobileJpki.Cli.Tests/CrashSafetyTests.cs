using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// docs/issuance-cycle.md under SIGKILL: a real server is killed again and again while it issues a batch; after every
/// restart no application is lost, no serial is duplicated, and every signed certificate is on record.
/// </summary>
public sealed class CrashSafetyTests : IAsyncLifetime
{
    private const int People = 4;
    private const int PhonesPerPerson = 6;
    private readonly ServerProcess _server = new() { ExtraArgs = ["--Ra:BatchSize=2"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

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
        for (var person = 0; person < People; person++)
        {
            var card = await TestFlow.IssueCardAsync(api, $"障害 試験{person}", "female", "1990-02-03", "大阪府大阪市北区1-1");
            for (var p = 0; p < PhonesPerPerson; p++)
            {
                // One person, several phones: the one-device rule runs inside the killed batches too.
                var phone = VirtualPhone.Create("pixel-8", phoneClock);
                var app = TestFlow.NewApp(phone, api, phoneClock);
                receipts.Add(await app.ApplyAsync(card.Applet, TestFlow.Answers(), CancellationToken.None));
            }
        }

        var due = receipts.Max(r => r.ProcessAfter);
        Assert.True(due > cutoff, "the applications must wait for the next opening");

        // Step 2: open the window and kill the server at a random moment of the issuance, several times.
        for (var round = 0; round < 5; round++)
        {
            await Api().ChangeClockAsync(new ClockChange(null, due, null), CancellationToken.None);
            await Task.Delay(Random.Shared.Next(20, 400));
            await _server.KillAsync();
            AssertInvariants(await ReadAsync(), finished: false);
            await _server.RestartAsync();
        }

        // Step 3: one last restart, left alone to finish.
        await Api().ChangeClockAsync(new ClockChange(null, due, null), CancellationToken.None);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(120);
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

        Assert.Equal(receipts.Count, snapshot.Applications.Count);
        AssertInvariants(snapshot, finished: true);
    }

    private static void AssertInvariants(Snapshot s, bool finished)
    {
        // No serial twice, and the serial inside every signed certificate is the serial it is recorded under.
        Assert.Equal(s.Certificates.Count, s.Certificates.Select(c => c.Serial).Distinct(StringComparer.Ordinal).Count());
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
        }

        // No application lost: every accepted one is still there, queued, in progress or done.
        Assert.All(s.Applications, a => Assert.InRange(a.Status, (int)ApplicationStatus.Queued, (int)ApplicationStatus.Rejected));

        // An application has at most one live certificate per kind, and an issued one has exactly one.
        foreach (var a in s.Applications)
        {
            var live = s.Certificates.Where(c => c.ApplicationId == a.Id && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active).ToList();
            Assert.Equal(live.Count, live.Select(c => c.Kind).Distinct().Count());
        }

        if (finished)
        {
            // One person, one phone: each person ends with exactly one live pair, on the phone issued last.
            foreach (var person in s.Applications.GroupBy(a => a.PersonId))
            {
                var live = s.Certificates.Where(c => c.PersonId == person.Key && c.PhoneId != null && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active).ToList();
                Assert.Equal(2, live.Count);
                Assert.Single(live.Select(c => c.PhoneId).Distinct());
            }
        }
    }

    private async Task<Snapshot> ReadAsync()
    {
        await using var db = new MjpkiDbContext(new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite($"Data Source={_server.DatabasePath}").Options);
        var snapshot = new Snapshot(await db.Applications.AsNoTracking().ToListAsync(), await db.Certificates.AsNoTracking().ToListAsync());
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
