using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;
using MobileJpki.Storage;
using MobileJpki.Tests.Shared;

namespace MobileJpki.Cli.Tests;

/// <summary>
/// Two real server processes on one PostgreSQL database (docs/operations.md, "Scaling out"): phones talk to different
/// nodes, and still every application is issued once and a person's certificates live on one phone only.
/// </summary>
public sealed class MultiNodeTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly CertificateKind[] PhoneKinds = [CertificateKind.PhoneSigning, CertificateKind.PhoneAuth];

    [Fact]
    public async Task Apply_OnePersonFromTwoPhonesOnTwoNodesAtOnce_ExactlyOnePairStaysActive()
    {
        var clock = await nodes.ToOpeningAsync();
        for (var round = 0; round < 3; round++)
        {
            // One card, read by two phones at the same moment (a copy of the card for each reader: same keys, same person).
            var card = await TestFlow.IssueCardAsync(nodes.Api(0), $"二台 太郎{round}");
            var copy = Path.Combine(nodes.First.Root, $"card-{round}.json");
            card.Save(copy);
            var phones = new[] { VirtualPhone.Create("pixel-8", clock), VirtualPhone.Create("galaxy-s23", clock) };
            var cards = new[] { card, VirtualCard.Load(copy) };

            var receipts = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() =>
                TestFlow.NewApp(phones[i], nodes.Api(i), clock).ApplyAsync(cards[i].Applet, TestFlow.Answers(), CancellationToken.None))));

            var applicationIds = receipts.Select(r => Guid.Parse(r.ApplicationId)).ToArray();
            var applications = await WaitProcessedAsync(applicationIds);
            await using var db = nodes.OpenDb();
            var personId = applications[0].PersonId;
            var certificates = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId && c.PhoneId != null).ToListAsync();
            var live = certificates.Where(c => c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active).ToList();

            // Exactly one phone holds a live pair; the other's certificates were revoked (or its application refused).
            Assert.Equal(2, live.Count);
            Assert.Equal(PhoneKinds.Select(k => (int)k).Order(), live.Select(c => c.Kind).Order());
            var winner = Assert.Single(live.Select(c => c.PhoneId).Distinct());
            var loser = phones.Single(p => p.PhoneId != winner).PhoneId;
            var loserApplication = applications.Single(a => a.PhoneId == loser);
            if (loserApplication.Status == (int)ApplicationStatus.Issued)
            {
                var revoked = certificates.Where(c => c.PhoneId == loser).ToList();
                Assert.Equal(2, revoked.Count);
                Assert.All(revoked, c => Assert.Equal((int)CertificateStatus.Revoked, c.Status));
                Assert.All(revoked, c => Assert.Equal("device-changed", c.RevocationReason));
                Assert.True((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == loser)).WipeRequested);
            }
            else
            {
                Assert.Equal((int)ApplicationStatus.Rejected, loserApplication.Status);
            }

            Assert.Equal((int)ApplicationStatus.Issued, applications.Single(a => a.PhoneId == winner).Status);
        }

        await AssertSerialsUniqueAsync();
    }

    [Fact]
    public async Task Apply_TwoHundredApplicationsSpreadOverTwoNodes_EachIssuedExactlyOnce()
    {
        const int People = 20, ApplicationsEach = 10;
        var clock = await nodes.ToOpeningAsync();
        using var gate = new SemaphoreSlim(8);
        var ids = await Task.WhenAll(Enumerable.Range(0, People).Select(p => Task.Run(async () =>
        {
            await gate.WaitAsync();
            try
            {
                var card = await TestFlow.IssueCardAsync(nodes.Api(p % 2), $"多数 利用者{p:D3}");
                var phone = VirtualPhone.Create("pixel-8", clock);
                var mine = new List<Guid>();
                for (var i = 0; i < ApplicationsEach; i++)
                {
                    // Each application of this phone goes to the other node than the one before.
                    var receipt = await TestFlow.NewApp(phone, nodes.Api((p + i) % 2), clock).ApplyAsync(card.Applet, TestFlow.Answers(), CancellationToken.None);
                    mine.Add(Guid.Parse(receipt.ApplicationId));
                }

                return mine;
            }
            finally
            {
                gate.Release();
            }
        })));

        var all = ids.SelectMany(x => x).ToArray();
        Assert.Equal(People * ApplicationsEach, all.Distinct().Count());
        var applications = await WaitProcessedAsync(all);
        Assert.All(applications, a => Assert.Equal((int)ApplicationStatus.Issued, a.Status));

        await using var db = nodes.OpenDb();
        var certificates = await db.Certificates.AsNoTracking().Where(c => c.ApplicationId != null && all.Contains(c.ApplicationId.Value)).ToListAsync();
        foreach (var group in certificates.GroupBy(c => c.ApplicationId!.Value))
        {
            // Issued exactly once: one certificate per kind applied for, never a second set.
            Assert.Equal(PhoneKinds.Select(k => (int)k).Order(), group.Select(c => c.Kind).Order());
        }

        Assert.Equal(all.Length, certificates.Select(c => c.ApplicationId).Distinct().Count());

        // Both nodes did some of the work, and each person ends with one live pair.
        Assert.Equal(2, nodes.NodesThatIssued(await db.Applications.AsNoTracking().Where(a => all.Contains(a.Id)).Select(a => a.ClaimedBy).ToListAsync()));
        foreach (var person in applications.GroupBy(a => a.PersonId))
        {
            Assert.Equal(2, certificates.Count(c => c.PersonId == person.Key && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active));
        }

        await AssertSerialsUniqueAsync();
    }

    /// <summary>Waits until no application of <paramref name="ids"/> is queued or being processed.</summary>
    private async Task<List<ApplicationEntity>> WaitProcessedAsync(IReadOnlyCollection<Guid> ids)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(180);
        while (true)
        {
            await using var db = nodes.OpenDb();
            var rows = await db.Applications.AsNoTracking().Where(a => ids.Contains(a.Id)).ToListAsync();
            if (rows.Count == ids.Count && rows.All(a => a.Status is not ((int)ApplicationStatus.Queued or (int)ApplicationStatus.Processing)))
            {
                return rows;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"applications still waiting: {rows.Count(a => a.Status is (int)ApplicationStatus.Queued or (int)ApplicationStatus.Processing)} of {ids.Count}\n{nodes.First.Log}\n{nodes.Second.Log}");
            await Task.Delay(250);
        }
    }

    private async Task AssertSerialsUniqueAsync()
    {
        await using var db = nodes.OpenDb();
        var serials = await db.Certificates.AsNoTracking().Select(c => c.Serial).ToListAsync();
        Assert.Equal(serials.Count, serials.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }
}

/// <summary>
/// Two server processes on one PostgreSQL database of their own and one CA data directory (the first node creates the
/// CA, the second loads it), each on its own port.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private readonly PostgresTestDatabase _database = new();
    private readonly List<HttpClient> _clients = [];

    public ServerProcess First { get; private set; } = null!;

    public ServerProcess Second { get; private set; } = null!;

    public MjpkiDbContext OpenDb() =>
        new(MjpkiDatabase.Configure(new DbContextOptionsBuilder<MjpkiDbContext>(), StorageProvider.Postgres, _database.ConnectionString).Options);

    /// <summary>The API of node 0 or node 1.</summary>
    public ServerApi Api(int node) => new(_clients[node]);

    /// <summary>
    /// Moves both nodes' sandbox clocks into the issuance window and returns a clock for the phones that agrees with
    /// theirs (attestations are checked against the server's "now").
    /// </summary>
    public async Task<TimeProvider> ToOpeningAsync()
    {
        var views = new List<ClockView>();
        foreach (var node in new[] { 0, 1 })
        {
            views.Add(await Api(node).ChangeClockAsync(new ClockChange(null, null, true), CancellationToken.None));
        }

        Assert.All(views, v => Assert.True(v.WindowOpen));
        return new TestFlow.OffsetClock(views.Max(v => v.Now) - TimeProvider.System.GetUtcNow());
    }

    /// <summary>How many distinct nodes (of these two) claimed the given applications.</summary>
    public int NodesThatIssued(IEnumerable<string?> claimedBy) => claimedBy.Where(c => c is not null).Distinct(StringComparer.Ordinal).Count();

    public async Task InitializeAsync()
    {
        string[] postgres = ["--Storage:Provider=Postgres", $"--Storage:ConnectionString={_database.ConnectionString}"];
        First = new ServerProcess { ExtraArgs = postgres };
        await First.InitializeAsync();
        Second = new ServerProcess { ExtraArgs = [.. postgres, $"--Pki:DataDirectory={First.Root}"] };
        await Second.InitializeAsync();
        foreach (var node in new[] { First, Second })
        {
            _clients.Add(new HttpClient { BaseAddress = new Uri(node.Url), Timeout = TimeSpan.FromSeconds(60) });
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (Second is not null)
        {
            await Second.DisposeAsync();
        }

        if (First is not null)
        {
            await First.DisposeAsync();
        }

        _database.Dispose();
    }
}
