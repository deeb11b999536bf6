using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Server.Tests;

/// <summary>
/// Sessions die with their certificate (docs/security.md, "Sessions"): once the auth certificate behind a portal,
/// kiosk or hospital session is suspended or revoked, every endpoint of that session answers 401 session-invalid, on
/// every node, and the session row is ended in the same commit as the status change; other people's sessions go on.
/// </summary>
public abstract class SessionEndTests(MjpkiServer server)
{
    /// <summary>Every read and write a portal session opens, each of which must refuse a dead session.</summary>
    private static readonly (HttpMethod Method, string Path)[] PortalCalls =
    [
        (HttpMethod.Get, "/api/v1/portal/me"),
        (HttpMethod.Get, "/api/v1/portal/usage"),
        (HttpMethod.Get, "/api/v1/portal/information/medical"),
        (HttpMethod.Get, "/api/v1/portal/information/medicine"),
        (HttpMethod.Get, "/api/v1/portal/e-applications"),
        (HttpMethod.Post, "/api/v1/portal/e-applications"),
    ];

    [Fact]
    public async Task HotlineSuspension_EarlierPortalKioskAndHospitalSessionsRefusedAndEndedOthersUntouched()
    {
        var alice = await RegisteredAsync("停止前 一子");
        var bob = await RegisteredAsync("無関係 二郎");
        var portal = await alice.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var kiosk = await TerminalLoginAsync(server, alice.App, "kiosks", "kiosk-end-1");
        var hospital = await TerminalLoginAsync(server, alice.App, "hospitals", "clinic-end-1");
        var cardPortal = await CardLogin.LoginAsync(server.Api, alice.Card.Card.Applet, "1234", CancellationToken.None);
        var bobPortal = await bob.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        foreach (var (method, path) in PortalCalls.Where(c => c.Method == HttpMethod.Get))
        {
            using var before = await SendAsync(server.Client, method, path, portal.Token);
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await HotlineSuspendAsync(server, alice.Card.Issued.PersonId);

        await AssertPortalRefusedAsync(server, portal.Token);
        await AssertRefusedAsync(() => server.Api.IssueKioskDocumentAsync("kiosk-end-1", null, kiosk.Token, Kiosk.ResidenceCopy, CancellationToken.None));
        await AssertRefusedAsync(() => server.Api.CheckEligibilityAsync("clinic-end-1", null, hospital.Token, CancellationToken.None));

        // Ended in the database at the time of the suspension, not only refused on use.
        await using (var db = server.OpenDb())
        {
            var held = await db.Certificates.AsNoTracking().SingleAsync(c => c.PersonId == Guid.Parse(alice.Card.Issued.PersonId) && c.PhoneId != null && c.Kind == (int)CertificateKind.PhoneAuth);
            foreach (var token in new[] { portal.Token, kiosk.Token, hospital.Token })
            {
                var row = await db.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(token));
                Assert.Equal(held.StatusChangedAt, row.EndedAt);
            }

            Assert.Null((await db.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(bobPortal.Token))).EndedAt);
        }

        // The hotline holds the phone's certificates only: the session of the card (still in the person's hand) goes on,
        // and so does another person's, which shows that person and no one else.
        Assert.Equal(alice.Card.Issued.PersonId, (await server.Api.GetMeAsync(cardPortal.Token, CancellationToken.None)).PersonId);
        var bobMe = await server.Api.GetMeAsync(bobPortal.Token, CancellationToken.None);
        Assert.Equal(bob.Card.Issued.PersonId, bobMe.PersonId);
        var bobUsage = await server.Api.GetUsageAsync(bobPortal.Token, 0, 100, CancellationToken.None);
        Assert.NotEmpty(bobUsage.Items);
        Assert.DoesNotContain(bobUsage.Items, u => u.CertificateSerial == alice.AuthSerial);
        Assert.Equal(InformationSamples.For(Guid.Parse(bob.Card.Issued.PersonId), "medical"), await server.Api.GetInformationAsync(bobPortal.Token, "medical", CancellationToken.None), InformationComparer.Instance);

        // Logging in again is refused too (the certificate itself is on hold).
        var again = await Assert.ThrowsAsync<AppException>(() => alice.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None));
        Assert.Equal("certificate-suspended", again.Code);
    }

    [Fact]
    public async Task AppSuspend_SessionEndedAtOnce()
    {
        var person = await RegisteredAsync("自分停止 三郎");
        var portal = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var kiosk = await TerminalLoginAsync(server, person.App, "kiosks", "kiosk-end-2");

        await person.App.SuspendAsync(CancellationToken.None);

        await AssertPortalRefusedAsync(server, portal.Token);
        await AssertRefusedAsync(() => server.Api.IssueKioskDocumentAsync("kiosk-end-2", null, kiosk.Token, Kiosk.ResidenceCopy, CancellationToken.None));
        await AssertEndedAsync(portal.Token, kiosk.Token);
    }

    [Fact]
    public async Task AppRevoke_SessionEndedAtOnce()
    {
        var person = await RegisteredAsync("自分失効 四郎");
        var portal = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var hospital = await TerminalLoginAsync(server, person.App, "hospitals", "clinic-end-3");

        await person.App.RevokeAsync(confirmed: true, CancellationToken.None);

        await AssertPortalRefusedAsync(server, portal.Token);
        await AssertRefusedAsync(() => server.Api.CheckEligibilityAsync("clinic-end-3", null, hospital.Token, CancellationToken.None));
        await AssertEndedAsync(portal.Token, hospital.Token);
    }

    [Fact]
    public async Task DeviceChange_OldPhonesSessionEndedWhenItsCertificatesAreRevokedNewPhoneLogsIn()
    {
        var person = await RegisteredAsync("機種変更 五郎");
        var oldSession = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var newApp = server.NewApp(server.NewPhone("galaxy-s23"));

        await server.ToOpeningAsync();
        await newApp.ChangeDeviceAsync(person.Card.Card.Applet, new ApplyOptions { CardPassword = person.Card.Password, NewSigningPassword = "PHONE2023", NewAuthPin = PortalLoginTests.AuthPin, Confirmed = true, ConfirmRevokeOldPhone = true }, CancellationToken.None);
        await newApp.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        await newApp.RegisterAsync(CancellationToken.None);

        await AssertPortalRefusedAsync(server, oldSession.Token);
        await AssertEndedAsync(oldSession.Token);
        var fresh = await newApp.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        Assert.Equal(person.Card.Issued.PersonId, (await server.Api.GetMeAsync(fresh.Token, CancellationToken.None)).PersonId);
    }

    [Fact]
    public async Task CardLossReported_CardSessionsEndedFinalLossEndsThePhonesToo()
    {
        var person = await RegisteredAsync("紛失届 六郎");
        var cardPortal = await CardLogin.LoginAsync(server.Api, person.Card.Card.Applet, "1234", CancellationToken.None);
        var phonePortal = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);

        // A hold on the card: its sessions end, the phone's are not the card's and go on.
        await OfficeAsync("lose", new CardLossRequest(person.Card.Issued.PersonId, null, false));
        await AssertPortalRefusedAsync(server, cardPortal.Token);
        await AssertEndedAsync(cardPortal.Token);
        Assert.Equal(person.Card.Issued.PersonId, (await server.Api.GetMeAsync(phonePortal.Token, CancellationToken.None)).PersonId);

        // Final loss revokes the card and, in the same transaction, the phone's certificates: their sessions too.
        await OfficeAsync("lose", new CardLossRequest(person.Card.Issued.PersonId, null, true));
        await AssertPortalRefusedAsync(server, phonePortal.Token);
        await AssertEndedAsync(phonePortal.Token);
    }

    [Fact]
    public async Task TwoNodes_SuspendedOnOneRefusedOnTheOtherAtOnce()
    {
        var person = await RegisteredAsync("二台 七郎");
        using var second = new SecondNode(server);
        CatchUp(second);

        // Opened on node 1, used on node 2 (no stickiness), held through node 2's hotline, refused on node 1 and node 2.
        var portal = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var kiosk = await TerminalLoginAsync(second, server.NewApp(person.Phone, client: second.Client), "kiosks", "kiosk-end-7");
        Assert.Equal(person.Card.Issued.PersonId, (await second.Api.GetMeAsync(portal.Token, CancellationToken.None)).PersonId);
        Assert.Equal(person.Card.Issued.PersonId, (await server.Api.GetMeAsync(portal.Token, CancellationToken.None)).PersonId);

        await HotlineSuspendAsync(second, person.Card.Issued.PersonId, server.Root);

        await AssertPortalRefusedAsync(server, portal.Token);
        await AssertPortalRefusedAsync(second, portal.Token);
        await AssertRefusedAsync(() => server.Api.IssueKioskDocumentAsync("kiosk-end-7", null, kiosk.Token, Kiosk.ResidenceCopy, CancellationToken.None));
        await AssertRefusedAsync(() => second.Api.IssueKioskDocumentAsync("kiosk-end-7", null, kiosk.Token, Kiosk.ResidenceCopy, CancellationToken.None));
    }

    [Fact]
    public async Task EndedSessionRowButCertificateActive_StillRefused_AndLiveCertificateWithEndedRowToo()
    {
        // The two checks stand on their own: an ended row is refused although its certificate is Active, and a session
        // whose row was (say, by an older node's code) left open is refused once the certificate is no longer Active.
        var person = await RegisteredAsync("二重 八郎");
        var ended = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var open = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        await using (var db = server.OpenDb())
        {
            var hash = SessionService.HashToken(ended.Token);
            await db.Sessions.Where(s => s.TokenHash == hash).ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, server.Clock.GetUtcNow()));
        }

        await AssertPortalRefusedAsync(server, ended.Token);
        Assert.Equal(person.Card.Issued.PersonId, (await server.Api.GetMeAsync(open.Token, CancellationToken.None)).PersonId);

        await person.App.SuspendAsync(CancellationToken.None);
        await using (var db = server.OpenDb())
        {
            var hash = SessionService.HashToken(open.Token);
            await db.Sessions.Where(s => s.TokenHash == hash).ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, (DateTimeOffset?)null));
        }

        await AssertPortalRefusedAsync(server, open.Token);
    }

    internal static async Task AssertPortalRefusedAsync(MjpkiServer node, string token)
    {
        foreach (var (method, path) in PortalCalls)
        {
            using var response = await SendAsync(node.Client, method, path, token);
            await Problem.AssertAsync(response, 401, "session-invalid");
        }
    }

    internal static async Task AssertRefusedAsync(Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<AppException>(call);
        Assert.Equal("session-invalid", refused.Code);
    }

    internal static async Task<SessionView> TerminalLoginAsync(MjpkiServer node, PortalApp app, string terminal, string id)
    {
        var challenge = await node.Api.GetTerminalChallengeAsync(terminal, id, null, CancellationToken.None);
        return await node.Api.TerminalLoginAsync(terminal, id, null, app.ApproveTerminalLogin(challenge, PortalLoginTests.AuthPin), CancellationToken.None);
    }

    /// <summary>The hotline puts the person's phone certificates on hold, through the given node (the sandbox supervisor may).</summary>
    internal static async Task HotlineSuspendAsync(MjpkiServer node, string personId, string? dataDirectory = null)
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(dataDirectory ?? node.Root, "hotline-supervisor.txt"));
        using var signIn = await node.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(lines[0], lines[1]));
        signIn.EnsureSuccessStatusCode();
        var op = (await signIn.Content.ReadFromJsonAsync<OperatorSessionView>())!;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/hotline/persons/{personId}/suspension") { Content = JsonContent.Create(new HotlineSuspendRequest("本人から紛失の連絡")) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", op.Token);
        using var suspended = await node.Client.SendAsync(request);
        suspended.EnsureSuccessStatusCode();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (method == HttpMethod.Post)
        {
            request.Content = JsonContent.Create(new { type = "juminhyo-request", cms = "AA==" });
        }

        return await client.SendAsync(request);
    }

    private async Task AssertEndedAsync(params string[] tokens)
    {
        await using var db = server.OpenDb();
        foreach (var token in tokens)
        {
            var row = await db.Sessions.AsNoTracking().SingleAsync(s => s.TokenHash == SessionService.HashToken(token));
            Assert.NotNull(row.EndedAt);
            var certificate = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == row.CertificateSerial);
            Assert.Equal(certificate.StatusChangedAt, row.EndedAt);
        }
    }

    private async Task OfficeAsync(string action, object body)
    {
        using var response = await server.Client.PostAsync($"/api/v1/office/{action}", JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options));
        response.EnsureSuccessStatusCode();
    }

    private void CatchUp(MjpkiServer second)
    {
        var lag = server.Clock.GetUtcNow() - second.Clock.GetUtcNow();
        if (lag > TimeSpan.FromSeconds(1))
        {
            second.Clock.Advance(lag);
        }
    }

    private async Task<Person> RegisteredAsync(string name)
    {
        var card = await server.IssueCardAsync(name);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certs = await server.ApplyAndRegisterAsync(app, card);
        return new Person(card, phone, app, PortalLoginTests.Serial(certs, CertificateKind.PhoneAuth));
    }

    private sealed record Person(TestCard Card, MobileJpki.Device.VirtualPhone Phone, PortalApp App, string AuthSerial);

    /// <summary>Information views compared by their JSON (records with lists compare by reference).</summary>
    private sealed class InformationComparer : IEqualityComparer<InformationView>
    {
        public static readonly InformationComparer Instance = new();

        public bool Equals(InformationView? x, InformationView? y) =>
            System.Text.Json.JsonSerializer.Serialize(x, ProtocolJson.Options) == System.Text.Json.JsonSerializer.Serialize(y, ProtocolJson.Options);

        public int GetHashCode(InformationView obj) => 0;
    }

    /// <summary>Another node: its own process state, the same database and CA.</summary>
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
public sealed class SqliteSessionEndTests(MjpkiServer server) : SessionEndTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL (two nodes on one database).</summary>
public sealed class PostgresSessionEndTests(PostgresMjpkiServer server) : SessionEndTests(server), IClassFixture<PostgresMjpkiServer>;

/// <summary>A session whose certificate expires: its own fixture, since the sandbox clock jumps years ahead and never comes back.</summary>
public abstract class SessionExpiryTests(MjpkiServer server)
{
    [Fact]
    public async Task CertificateExpired_EarlierPortalAndKioskSessionsRefused()
    {
        var card = await server.IssueCardAsync("期限切れ 九郎");
        var app = server.NewApp(server.NewPhone());
        var certs = await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        var notAfter = new DateTimeOffset(certs.Single().NotAfter.ToUniversalTime(), TimeSpan.Zero);

        // Just before the end of validity: the session is capped to it and works until then.
        await server.SetClockAsync(notAfter.AddMinutes(-2));
        var portal = await app.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var kiosk = await SessionEndTests.TerminalLoginAsync(server, app, "kiosks", "kiosk-expiry");
        Assert.True(portal.ExpiresAt <= notAfter);
        Assert.Equal(card.Issued.PersonId, (await server.Api.GetMeAsync(portal.Token, CancellationToken.None)).PersonId);

        await server.SetClockAsync(notAfter.AddSeconds(1));

        await SessionEndTests.AssertPortalRefusedAsync(server, portal.Token);
        await SessionEndTests.AssertRefusedAsync(() => server.Api.IssueKioskDocumentAsync("kiosk-expiry", null, kiosk.Token, Kiosk.ResidenceCopy, CancellationToken.None));
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqliteSessionExpiryTests(MjpkiServer server) : SessionExpiryTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresSessionExpiryTests(PostgresMjpkiServer server) : SessionExpiryTests(server), IClassFixture<PostgresMjpkiServer>;
