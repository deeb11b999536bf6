using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Storage.Tests;

/// <summary>
/// The login group commit and the shared challenge key, on both providers: many logins in flight go out in few
/// transactions, each with its own person's session and usage rows; a challenge answered twice fails only that answer
/// (in one group and across writers, i.e. nodes); two nodes creating the key at once end up with the same key.
/// </summary>
public abstract class LoginBatchWriterTests(StorageProvider provider)
{
    [Fact]
    public async Task CommitAsync_ManyConcurrentLogins_FewCommitsAndEachSessionIsItsOwnPersons()
    {
        using var f = new StorageFixture(provider);
        await using var writer = Writer(f);
        var logins = Enumerable.Range(0, 200).Select(i => Login(f, $"challenge-{i:D3}", Guid.NewGuid(), $"serial{i:D3}")).ToArray();

        var results = await Task.WhenAll(logins.Select(l => writer.CommitAsync(l, CancellationToken.None)));

        Assert.All(results, Assert.True);
        Assert.InRange(writer.Commits, 1, 20);
        await using var db = f.Database.Open();
        var sessions = await db.Sessions.AsNoTracking().ToDictionaryAsync(s => s.TokenHash);
        var usage = await db.Usage.AsNoTracking().ToListAsync();
        var challenges = await db.Challenges.AsNoTracking().ToDictionaryAsync(c => c.Id);
        Assert.Equal(200, sessions.Count);
        Assert.Equal(200, usage.Count);
        foreach (var l in logins)
        {
            var row = sessions[l.Session.TokenHash];
            Assert.Equal((l.Session.PersonId, l.Session.CertificateSerial), (row.PersonId, row.CertificateSerial));
            Assert.Equal(l.Session.CertificateSerial, Assert.Single(usage, u => u.PersonId == l.Session.PersonId).CertificateSerial);
            var used = challenges[l.ChallengeId];
            Assert.Equal((l.Purpose, l.Subject, (DateTimeOffset?)l.At, l.ChallengeExpiresAt), (used.Purpose, used.Subject, used.UsedAt, used.ExpiresAt));
        }
    }

    [Fact]
    public async Task CommitAsync_SameChallengeTwiceInOneGroup_OnlyTheSecondFailsNeighboursCommit()
    {
        using var f = new StorageFixture(provider);
        await using var writer = Writer(f);
        var first = Login(f, "dup", Guid.NewGuid(), "serialA");
        var twin = Login(f, "dup", Guid.NewGuid(), "serialB");
        var neighbours = Enumerable.Range(0, 20).Select(i => Login(f, $"n{i}", Guid.NewGuid(), $"serialN{i}")).ToArray();

        var tasks = new[] { writer.CommitAsync(first, CancellationToken.None), writer.CommitAsync(twin, CancellationToken.None) }
            .Concat(neighbours.Select(n => writer.CommitAsync(n, CancellationToken.None))).ToArray();
        var results = await Task.WhenAll(tasks);

        Assert.Equal(new[] { true, false }, results[..2]);
        Assert.All(results[2..], Assert.True);
        await using var db = f.Database.Open();
        Assert.Equal([first.Session.PersonId], await db.Sessions.AsNoTracking().Where(s => s.CertificateSerial == "serialA" || s.CertificateSerial == "serialB").Select(s => s.PersonId).ToListAsync());
        Assert.Equal(21, await db.Sessions.CountAsync());
        Assert.Equal(21, await db.Usage.CountAsync());
    }

    [Fact]
    public async Task CommitAsync_ChallengeUsedThroughAnotherWriter_FalseAndNothingWritten()
    {
        using var f = new StorageFixture(provider);
        await using var nodeA = Writer(f);
        await using var nodeB = Writer(f);
        var person = Guid.NewGuid();

        Assert.True(await nodeA.CommitAsync(Login(f, "shared", person, "serial1"), CancellationToken.None));
        Assert.False(await nodeB.CommitAsync(Login(f, "shared", Guid.NewGuid(), "serial2"), CancellationToken.None));

        await using var db = f.Database.Open();
        Assert.Equal([person], await db.Sessions.AsNoTracking().Select(s => s.PersonId).ToListAsync());
        Assert.Equal(1, await db.Usage.CountAsync());
    }

    [Fact]
    public async Task CommitAsync_ExpiredUsedChallenges_PrunedAfterRetentionOthersKept()
    {
        using var f = new StorageFixture(provider);
        await using var writer = Writer(f);
        Assert.True(await writer.CommitAsync(Login(f, "old", Guid.NewGuid(), "s1"), CancellationToken.None));
        await using (var db = f.Database.Open())
        {
            // A lifecycle challenge (another purpose) that expired as long ago is not the writer's to delete.
            db.Challenges.Add(new ChallengeEntity { Id = "reset-1", Purpose = "reset-password", Subject = "phone1", CreatedAt = f.Now, ExpiresAt = f.Now.AddMinutes(2) });
            await db.SaveChangesAsync();
        }

        f.Time.Advance(TimeSpan.FromMinutes(2) + LoginBatchWriter.UsedRetention + TimeSpan.FromMinutes(1));
        Assert.True(await writer.CommitAsync(Login(f, "new", Guid.NewGuid(), "s2"), CancellationToken.None));

        // Pruning runs right after that group's commit: wait for it (bounded).
        List<string> left = [];
        for (var i = 0; i < 100; i++)
        {
            await using var check = f.Database.Open();
            left = await check.Challenges.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).ToListAsync();
            if (!left.Contains("old"))
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(["new", "reset-1"], left);
    }

    [Fact]
    public async Task GetOrCreateAsync_TwoNodesAtOnce_OneKeySharedAndStored()
    {
        using var f = new StorageFixture(provider);
        var nodes = Enumerable.Range(0, 6).Select(_ => new ServiceKeyStore(f.Database.Factory, f.Time)).ToArray();

        var keys = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.GetOrCreateAsync(LoginChallenges.KeyName, 32, CancellationToken.None))));

        Assert.Equal(32, keys[0].Length);
        Assert.All(keys, k => Assert.Equal(keys[0], k));
        await using var db = f.Database.Open();
        Assert.Equal(keys[0], (await db.ServiceKeys.AsNoTracking().SingleAsync()).Value);
    }

    private static LoginBatchWriter Writer(StorageFixture f) => new(f.Database.Factory, f.Time, NullLogger<LoginBatchWriter>.Instance);

    private static LoginCommit Login(StorageFixture f, string challenge, Guid person, string serial)
    {
        var now = f.Now;
        var who = new AuthenticatedCertificate(person, serial, CertificateKind.PhoneAuth, [0x30], now.AddYears(1), "phone-" + serial);
        var (_, session) = SessionService.Prepare(who, SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), now);
        return new LoginCommit(challenge, "login-portal", "phone:phone-" + serial, now.AddMinutes(2), now, session, new UsageRecord(0, person, now, UsageKinds.Login, serial, "portal", "test"));
    }
}

public sealed class LoginBatchWriterSqliteTests() : LoginBatchWriterTests(StorageProvider.Sqlite);

public sealed class LoginBatchWriterPostgresTests() : LoginBatchWriterTests(StorageProvider.Postgres);
