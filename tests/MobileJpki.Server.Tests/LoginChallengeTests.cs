using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;
using MobileJpki.Server.Hosting;
using MobileJpki.Storage;
using static MobileJpki.Server.Tests.PortalLoginTests;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The MAC-ed login challenges (docs/relying-parties.md): making one writes nothing; an altered, forged or
/// re-spelled one, or one of another subject or purpose, is "bad-challenge"; an expired one "challenge-expired"; a
/// replay "challenge-used" — on the same node (even without its row: the node's own memory) and on a second node
/// sharing the database (through the used-challenge row committed with the session).
/// </summary>
public abstract class LoginChallengeTests(MjpkiServer server)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    [Fact]
    public async Task Challenge_Made_NoRowWrittenAndUsedRowAfterLogin()
    {
        var (phone, app) = await RegisteredAsync("鍵 一郎");
        await using (var db = server.OpenDb())
        {
            await db.Challenges.Where(c => c.Subject == "phone:" + phone.PhoneId).ExecuteDeleteAsync();
        }

        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        await using (var db = server.OpenDb())
        {
            Assert.False(await db.Challenges.AnyAsync(c => c.Id == challenge.Challenge), "making a challenge writes nothing");
        }

        var session = await server.Api.LoginAsync(Approve(app, challenge) with { PhoneId = phone.PhoneId }, Secret(phone), CancellationToken.None);

        await using var check = server.OpenDb();
        var row = await check.Challenges.AsNoTracking().SingleAsync(c => c.Id == challenge.Challenge);
        Assert.Equal(("login-portal", "phone:" + phone.PhoneId, challenge.ExpiresAt), (row.Purpose, row.Subject, row.ExpiresAt));
        Assert.NotNull(row.UsedAt);
        var sessionRow = await check.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(session.Token));
        Assert.Equal(row.UsedAt, sessionRow.CreatedAt);
    }

    [Fact]
    public async Task Login_AlteredForgedOrRespelledChallenge_BadChallengeAndTheRealOneStillWorks()
    {
        var (phone, app) = await RegisteredAsync("改竄 二郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var id = challenge.Challenge;
        Assert.InRange(id.Length, 40, 64);

        // One character of the MAC changed; one of the expiry changed (a later expiry); random bytes of the right shape.
        var altered = new[]
        {
            Replace(id, id.Length - 5),
            Replace(id, 3),
            Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(41)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        };
        foreach (var other in altered)
        {
            using var response = await PostAsync("/api/v1/portal/sessions", Approve(app, challenge with { Challenge = other }) with { PhoneId = phone.PhoneId }, Secret(phone));
            await Problem.AssertAsync(response, 400, "bad-challenge");
        }

        var session = await server.Api.LoginAsync(Approve(app, challenge) with { PhoneId = phone.PhoneId }, Secret(phone), CancellationToken.None);
        Assert.NotEmpty(session.Token);

        // The same bytes spelled differently (the unused low bits of the last character) are not a fresh challenge.
        var last = Alphabet.IndexOf(id[^1], StringComparison.Ordinal);
        var respelled = id[..^1] + Alphabet[last ^ 1];
        using var again = await PostAsync("/api/v1/portal/sessions", Approve(app, challenge with { Challenge = respelled }) with { PhoneId = phone.PhoneId }, Secret(phone));
        await Problem.AssertAsync(again, 400, "bad-challenge");
    }

    [Fact]
    public async Task Login_ChallengeOfAnotherTerminalOrAudience_BadChallenge()
    {
        var (_, app) = await RegisteredAsync("端末 三郎");
        var challenge = await server.Api.GetTerminalChallengeAsync("kiosks", "kiosk-a", null, CancellationToken.None);
        var answer = Approve(app, challenge);

        // The same challenge at another kiosk, at a hospital reader of the same id, and at the portal (a card login).
        using var otherKiosk = await PostAsync("/api/v1/kiosks/kiosk-b/sessions", Approve(app, challenge with { Party = "kiosk-b" }), null);
        await Problem.AssertAsync(otherKiosk, 400, "bad-challenge");
        using var hospital = await PostAsync("/api/v1/hospitals/kiosk-a/sessions", Approve(app, challenge with { Audience = LoginMessage.Hospital }), null);
        await Problem.AssertAsync(hospital, 400, "bad-challenge");
        using var portal = await PostAsync("/api/v1/portal/sessions", Approve(app, challenge with { Audience = LoginMessage.Portal, Party = string.Empty }) with { ClientNonce = "a-browser-nonce-0001" }, null);
        await Problem.AssertAsync(portal, 400, "bad-challenge");

        var session = await server.Api.TerminalLoginAsync("kiosks", "kiosk-a", null, answer, CancellationToken.None);
        Assert.Equal((SessionAudiences.Kiosk, "kiosk-a"), (session.Audience, session.Party));
    }

    [Fact]
    public async Task Login_ReplayOnSameNodeWithoutItsRow_ChallengeUsedFromMemory()
    {
        var (phone, app) = await RegisteredAsync("記憶 四郎");
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };
        await server.Api.LoginAsync(answer, Secret(phone), CancellationToken.None);

        // Without the row, only the node's memory of used challenges can refuse the replay.
        await using (var db = server.OpenDb())
        {
            Assert.Equal(1, await db.Challenges.Where(c => c.Id == challenge.Challenge).ExecuteDeleteAsync());
        }

        using var replay = await PostAsync("/api/v1/portal/sessions", answer, Secret(phone));
        await Problem.AssertAsync(replay, 409, "challenge-used");
        await using var check = server.OpenDb();
        Assert.False(await check.Challenges.AnyAsync(c => c.Id == challenge.Challenge), "the refused replay wrote nothing");
    }

    [Fact]
    public async Task Login_ReplayOnSecondNode_ChallengeUsedAndOneSession()
    {
        var (phone, app) = await RegisteredAsync("二台 五郎");
        using var second = new SecondNode(server);
        CatchUp(second);
        var challenge = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var answer = Approve(app, challenge) with { PhoneId = phone.PhoneId };

        // The second node accepts the first node's challenge (one shared key) ...
        var other = await server.Api.GetPortalChallengeAsync(phone.PhoneId, Secret(phone), CancellationToken.None);
        var onSecond = await second.Api.LoginAsync(Approve(app, other) with { PhoneId = phone.PhoneId }, Secret(phone), CancellationToken.None);
        Assert.NotEmpty(onSecond.Token);

        // ... and refuses a challenge already used on the first, through the row committed with the first's session.
        await server.Api.LoginAsync(answer, Secret(phone), CancellationToken.None);
        using var replay = await SendAsync(second.Client, "/api/v1/portal/sessions", answer, Secret(phone));
        await Problem.AssertAsync(replay, 409, "challenge-used");
        await using (var db = server.OpenDb())
        {
            var person = (await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == phone.PhoneId)).PersonId;
            Assert.Equal(2, await db.Sessions.CountAsync(s => s.PersonId == person));
        }

        // Once expired, the used challenge is still "used" on a node that never saw it (not "expired").
        server.Clock.Advance(TimeSpan.FromMinutes(3));
        CatchUp(second);
        using var late = await SendAsync(second.Client, "/api/v1/portal/sessions", answer, Secret(phone));
        await Problem.AssertAsync(late, 409, "challenge-used");
    }

    [Fact]
    public async Task Login_ConcurrentLoginsOfManyPeople_EachSessionIsItsOwnPersons()
    {
        var people = new List<(VirtualPhone Phone, PortalApp App, Guid PersonId)>();
        for (var i = 0; i < 4; i++)
        {
            var card = await server.IssueCardAsync($"並行 {i}郎", birthDate: $"19{70 + i}-0{i + 1}-1{i}");
            var phone = server.NewPhone();
            var app = server.NewApp(phone);
            await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
            people.Add((phone, app, Guid.Parse(card.Issued.PersonId)));
        }

        // Five answers per person, all sent at once so the writer groups them.
        var answers = new List<(int Person, LoginRequest Answer)>();
        foreach (var (p, index) in people.Select((p, i) => (p, i)))
        {
            for (var k = 0; k < 5; k++)
            {
                var challenge = await server.Api.GetPortalChallengeAsync(p.Phone.PhoneId, Secret(p.Phone), CancellationToken.None);
                answers.Add((index, Approve(p.App, challenge) with { PhoneId = p.Phone.PhoneId }));
            }
        }

        var sessions = await Task.WhenAll(answers.Select(a => Task.Run(() => server.Api.LoginAsync(a.Answer, Secret(people[a.Person].Phone), CancellationToken.None))));

        await using var db = server.OpenDb();
        for (var i = 0; i < answers.Count; i++)
        {
            var row = await db.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(sessions[i].Token));
            Assert.Equal(people[answers[i].Person].PersonId, row.PersonId);
            var me = await server.Api.GetMeAsync(sessions[i].Token, CancellationToken.None);
            Assert.Equal(people[answers[i].Person].PersonId.ToString(), me.PersonId);
            Assert.NotNull((await db.Challenges.AsNoTracking().SingleAsync(c => c.Id == answers[i].Answer.Challenge)).UsedAt);
        }

        foreach (var p in people)
        {
            Assert.Equal(5, await db.Usage.CountAsync(u => u.PersonId == p.PersonId && u.Kind == UsageKinds.Login));
        }
    }

    private static string Replace(string id, int index) =>
        id[..index] + (id[index] == 'A' ? 'B' : 'A') + id[(index + 1)..];

    /// <summary>Brings the second node's sandbox clock up to the first's (it only moves forward, and may have synced already).</summary>
    private void CatchUp(MjpkiServer second)
    {
        var lag = server.Clock.GetUtcNow() - second.Clock.GetUtcNow();
        if (lag > TimeSpan.FromSeconds(1))
        {
            second.Clock.Advance(lag);
        }
    }

    private Task<HttpResponseMessage> PostAsync(string path, object body, string? bearer) => SendAsync(server.Client, path, body, bearer);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, object body, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request);
    }

    private async Task<(VirtualPhone Phone, PortalApp App)> RegisteredAsync(string name)
    {
        var card = await server.IssueCardAsync(name);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        return (phone, app);
    }

    /// <summary>Another node: its own process state (memory, key cache), the same database and CA.</summary>
    private sealed class SecondNode(MjpkiServer first) : MjpkiServer(first.Provider)
    {
        protected override string ServerConnectionString => first.ConnectionString;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Pki:DataDirectory", first.Root);
        }
    }
}

/// <summary>On SQLite (two nodes on one file).</summary>
public sealed class SqliteLoginChallengeTests(MjpkiServer server) : LoginChallengeTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL (two nodes on one database).</summary>
public sealed class PostgresLoginChallengeTests(PostgresMjpkiServer server) : LoginChallengeTests(server), IClassFixture<PostgresMjpkiServer>;
