using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests.Hotline;

/// <summary>
/// The hotline console over HTTP on the real server (both providers): the sandbox supervisor, sign-in and lockout,
/// roles, find, suspend, and the audit log every act lands in.
/// </summary>
public abstract class HotlineTests(MjpkiServer server)
{
    [Fact]
    public async Task Bootstrap_Sandbox_WritesSupervisorPasswordToPrivateFile()
    {
        var (name, password, file) = await SandboxSupervisorAsync();

        Assert.Equal("supervisor", name);
        Assert.False(string.IsNullOrEmpty(password));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        await using var db = server.OpenDb();
        var row = await db.Operators.SingleAsync(o => o.Name == "supervisor");
        Assert.Equal(OperatorRules.Supervisor, row.Role);
        Assert.Equal(32, row.PasswordHash.Length);
        Assert.Equal(16, row.PasswordSalt.Length);
        Assert.NotEqual(Encoding.UTF8.GetBytes(password), row.PasswordHash);
        Assert.True(row.PasswordIterations >= 100_000);
    }

    [Fact]
    public async Task SignIn_RightPassword_StoresOnlyTheTokenHash()
    {
        var session = await SignInAsSupervisorAsync();

        await using var db = server.OpenDb();
        Assert.False(await db.OperatorSessions.AnyAsync(s => s.TokenHash == session.Token));
        var stored = await db.OperatorSessions.SingleAsync(s => s.TokenHash == OperatorRules.TokenHash(session.Token));
        Assert.Equal(8, (int)Math.Round((stored.ExpiresAt - stored.CreatedAt).TotalHours));
    }

    [Fact]
    public async Task SignIn_WrongPassword_401AndAudited()
    {
        var before = await AuditCountAsync();

        using var response = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn("supervisor", "not the password"));

        await Problem.AssertAsync(response, 401, "sign-in-failed");
        var entry = await LastAuditAsync();
        Assert.Equal(before + 1, entry.Sequence);
        Assert.Equal(("operator.sign-in", "sign-in-failed", "operator:supervisor"), (entry.Action, entry.Outcome, entry.Actor));
        Assert.DoesNotContain("not the password", entry.Reason ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_UnknownOperator_401SameCode()
    {
        using var response = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn("nobody-here", "whatever-password"));

        await Problem.AssertAsync(response, 401, "sign-in-failed");
        Assert.Equal("sign-in-failed", (await LastAuditAsync()).Outcome);
    }

    [Fact]
    public async Task SignIn_MissingFields_400()
    {
        using var response = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(null, null));

        await Problem.AssertAsync(response, 400, "bad-field");
    }

    [Fact]
    public async Task SignIn_RepeatedWrongPasswords_LocksTheAccount()
    {
        var supervisor = await SignInAsSupervisorAsync();
        var (name, password) = await AddOperatorAsync(supervisor.Token, OperatorRules.Operator);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(name, "wrong password " + i));
            await Problem.AssertAsync(wrong, 401, "sign-in-failed");
        }

        using var right = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(name, password));

        await Problem.AssertAsync(right, 403, "operator-locked");
        Assert.Equal("operator-locked", (await LastAuditAsync()).Outcome);

        // A supervisor unlocks it; the right password works again.
        using var unlock = await SendAsync(HttpMethod.Post, $"/api/v1/hotline/operators/{name}/unlock", supervisor.Token, null);
        Assert.Equal(HttpStatusCode.NoContent, unlock.StatusCode);
        Assert.Equal(("operator.unlock", name, "ok"), ((await LastAuditAsync()).Action, (await LastAuditAsync()).Target, (await LastAuditAsync()).Outcome));
        Assert.Equal(name, (await SignInAsync(name, password)).Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task Find_MissingOrInvalidToken_401(string? token)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/person-searches", token, new PersonSearch("x", "1980-01-01", null));

        await Problem.AssertAsync(response, 401, "operator-unauthorized");
    }

    [Fact]
    public async Task Find_ExpiredToken_401()
    {
        var session = await SignInAsSupervisorAsync();
        await using (var db = server.OpenDb())
        {
            // Age the session rather than the shared sandbox clock.
            var hash = OperatorRules.TokenHash(session.Token);
            var row = await db.OperatorSessions.SingleAsync(s => s.TokenHash == hash);
            row.ExpiresAt = row.CreatedAt.AddHours(-1);
            await db.SaveChangesAsync();
        }

        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/person-searches", session.Token, new PersonSearch("x", "1980-01-01", null));

        await Problem.AssertAsync(response, 401, "operator-unauthorized");
    }

    [Fact]
    public async Task AddOperator_ByOperator_403AndAuditedAsForbidden()
    {
        var op = await NewOperatorSessionAsync();
        var before = await CountOperatorsAsync();

        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", op.Token, new OperatorAddRequest("sneaky", "supervisor", null));

        await Problem.AssertAsync(response, 403, "operator-forbidden");
        Assert.Equal(before, await CountOperatorsAsync());
        var entry = await LastAuditAsync();
        Assert.Equal(("operator:" + op.Name, "operator", "operator.add", "sneaky", "forbidden"), (entry.Actor, entry.Role, entry.Action, entry.Target, entry.Outcome));
    }

    [Fact]
    public async Task ReadAudit_ByOperator_403AndAudited()
    {
        var op = await NewOperatorSessionAsync();

        using var response = await SendAsync(HttpMethod.Get, "/api/v1/audit", op.Token, null);

        await Problem.AssertAsync(response, 403, "operator-forbidden");
        var entry = await LastAuditAsync();
        Assert.Equal(("audit.read", "forbidden"), (entry.Action, entry.Outcome));
    }

    [Fact]
    public async Task AddOperator_TakenNameOrBadRole_Refused()
    {
        var supervisor = await SignInAsSupervisorAsync();

        using var taken = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", supervisor.Token, new OperatorAddRequest("supervisor", "operator", null));
        using var badRole = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", supervisor.Token, new OperatorAddRequest("new-one", "admin", null));
        using var badName = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", supervisor.Token, new OperatorAddRequest("Bad Name!", "operator", null));
        using var weak = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", supervisor.Token, new OperatorAddRequest("weak-one", "operator", "short"));

        await Problem.AssertAsync(taken, 409, "operator-exists");
        await Problem.AssertAsync(badRole, 400, "bad-role");
        await Problem.AssertAsync(badName, 400, "bad-operator-name");
        await Problem.AssertAsync(weak, 400, "weak-operator-password");
        using var unknown = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators/nobody-here/unlock", supervisor.Token, null);
        await Problem.AssertAsync(unknown, 404, "unknown-operator");
    }

    [Fact]
    public async Task FindThenSuspend_RegisteredPerson_PutsPhoneCertificatesOnHoldAndAudits()
    {
        var card = await server.IssueCardAsync(name: "電話 一郎", birthDate: "1971-07-07", address: "大阪府大阪市北区中之島1-3-20");
        var phone = server.NewPhone();
        var certs = await server.ApplyAndRegisterAsync(server.NewApp(phone), card);
        var op = await NewOperatorSessionAsync();

        // The caller says their name with a full-width space and the address with full-width digits.
        using var found = await SendAsync(HttpMethod.Post, "/api/v1/hotline/person-searches", op.Token, new PersonSearch("電話　一郎", "1971-07-07", "大阪府大阪市北区中之島１－３－２０"));
        found.EnsureSuccessStatusCode();
        var matches = (await found.Content.ReadFromJsonAsync<PersonMatchView[]>())!;
        var match = Assert.Single(matches);
        Assert.Equal(card.Issued.PersonId, match.PersonId);
        Assert.Equal(("電＊", "大阪府"), (match.NameInitial, match.Prefecture));
        Assert.All(match.PhoneCertificates, c => Assert.Equal("active", c.Status));
        var findEntry = await LastAuditAsync();
        Assert.Equal(("hotline.find", card.Issued.PersonId, "ok"), (findEntry.Action, findEntry.Target, findEntry.Outcome));
        Assert.DoesNotContain("一郎", findEntry.Target + findEntry.Reason, StringComparison.Ordinal);

        using var suspended = await SendAsync(HttpMethod.Post, $"/api/v1/hotline/persons/{match.PersonId}/suspension", op.Token, new HotlineSuspendRequest("本人から紛失の連絡"));
        suspended.EnsureSuccessStatusCode();
        var result = (await suspended.Content.ReadFromJsonAsync<HotlineSuspendResponse>())!;

        var serials = certs.Select(c => c.SerialNumber.ToLowerInvariant()).Order().ToArray();
        Assert.Equal(serials, result.Serials.Order());
        Assert.Equal([phone.PhoneId], result.PhoneIds);
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.Where(c => serials.Contains(c.Serial)).ToListAsync();
            Assert.All(rows, r => Assert.Equal((int)CertificateStatus.Suspended, r.Status));
            Assert.All(rows, r => Assert.Equal(RevocationReasons.Hold, r.RevocationReason));
        }

        var status = await server.Api.GetStatusAsync(phone.PhoneId, phone.App.Values["deviceSecret"], false, CancellationToken.None);
        Assert.All(status.Certificates.Where(c => serials.Contains(c.Serial)), c => Assert.Equal("suspended", c.Status));
        var entry = await LastAuditAsync();
        Assert.Equal(("operator:" + op.Name, "hotline.suspend", match.PersonId, "本人から紛失の連絡", "ok"), (entry.Actor, entry.Action, entry.Target, entry.Reason, entry.Outcome));

        // Twice: a clear conflict, audited, nothing changed.
        using var again = await SendAsync(HttpMethod.Post, $"/api/v1/hotline/persons/{match.PersonId}/suspension", op.Token, new HotlineSuspendRequest("二度目"));
        await Problem.AssertAsync(again, 409, "already-suspended");
        Assert.Equal(("hotline.suspend", "already-suspended"), ((await LastAuditAsync()).Action, (await LastAuditAsync()).Outcome));
    }

    [Fact]
    public async Task Suspend_RevokedPerson_409NothingChanged()
    {
        var card = await server.IssueCardAsync(name: "失効 次郎", birthDate: "1960-02-02");
        var phone = server.NewPhone();
        var certs = await server.ApplyAndRegisterAsync(server.NewApp(phone), card);
        var serials = certs.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
        await using (var db = server.OpenDb())
        {
            await db.Certificates.Where(c => serials.Contains(c.Serial)).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Revoked));
        }

        var op = await NewOperatorSessionAsync();

        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/hotline/persons/{card.Issued.PersonId}/suspension", op.Token, new HotlineSuspendRequest("紛失"));

        await Problem.AssertAsync(response, 409, "nothing-to-suspend");
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.Where(c => serials.Contains(c.Serial)).ToListAsync();
            Assert.All(rows, r => Assert.Equal((int)CertificateStatus.Revoked, r.Status));
            Assert.All(rows, r => Assert.Null(r.RevocationReason));
        }

        Assert.Equal("nothing-to-suspend", (await LastAuditAsync()).Outcome);
    }

    [Theory]
    [InlineData(null, "reason-required")]
    [InlineData("   ", "reason-required")]
    [InlineData("oversized", "bad-reason")]
    public async Task Suspend_MissingOrOversizedReason_400(string? reason, string code)
    {
        var op = await NewOperatorSessionAsync();
        var given = reason == "oversized" ? new string('理', OperatorRules.MaxReasonLength + 1) : reason;

        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/hotline/persons/{Guid.NewGuid()}/suspension", op.Token, new HotlineSuspendRequest(given));

        await Problem.AssertAsync(response, 400, code);
    }

    [Fact]
    public async Task Suspend_PersonNotAUuid_400()
    {
        var op = await NewOperatorSessionAsync();

        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/persons/12345/suspension", op.Token, new HotlineSuspendRequest("紛失"));

        await Problem.AssertAsync(response, 400, "bad-field");
    }

    [Theory]
    [InlineData(null, "1980-01-01")]
    [InlineData("名前", null)]
    [InlineData("名前", "1980-13-01")]
    [InlineData("oversized", "1980-01-01")]
    public async Task Find_MissingOrBadFields_400(string? name, string? birthDate)
    {
        var op = await NewOperatorSessionAsync();
        var given = name == "oversized" ? new string('名', 101) : name;

        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/person-searches", op.Token, new PersonSearch(given, birthDate, null));

        await Problem.AssertAsync(response, 400, "bad-field");
    }

    [Fact]
    public async Task ReadAudit_Supervisor_PagesThroughAVerifiableChain()
    {
        var supervisor = await SignInAsSupervisorAsync();
        await NewOperatorSessionAsync();
        var all = new List<AuditRecord>();
        long? after = 0;
        while (after is { } a)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/api/v1/audit?after={a}&limit=2", supervisor.Token, null);
            response.EnsureSuccessStatusCode();
            var page = (await response.Content.ReadFromJsonAsync<AuditPage>())!;
            Assert.True(page.Entries.Count <= 2);
            all.AddRange(page.Entries);
            after = page.Next;
        }

        var result = AuditChain.Verify(all);
        Assert.True(result.Ok, result.Problem);
        Assert.True(result.Count >= 4);
        var last = all[^1].Sequence;
        await using var db = server.OpenDb();
        Assert.Equal(all.Count, await db.AuditEntries.CountAsync(e => e.Sequence <= last));
    }

    private async Task<(string Name, string Password, string File)> SandboxSupervisorAsync()
    {
        _ = server.Client;
        var file = Path.Combine(server.Root, "hotline-supervisor.txt");
        var lines = await File.ReadAllLinesAsync(file);
        return (lines[0], lines[1], file);
    }

    private async Task<OperatorSessionView> SignInAsSupervisorAsync()
    {
        var (name, password, _) = await SandboxSupervisorAsync();
        return await SignInAsync(name, password);
    }

    private async Task<OperatorSessionView> SignInAsync(string name, string password)
    {
        using var response = await server.Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(name, password));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<OperatorSessionView>())!;
    }

    private async Task<(string Name, string Password)> AddOperatorAsync(string supervisorToken, string role)
    {
        var name = "op-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/hotline/operators", supervisorToken, new OperatorAddRequest(name, role, null));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var added = (await response.Content.ReadFromJsonAsync<OperatorAddResponse>())!;
        return (name, added.Password!);
    }

    private async Task<OperatorSessionView> NewOperatorSessionAsync()
    {
        var supervisor = await SignInAsSupervisorAsync();
        var (name, password) = await AddOperatorAsync(supervisor.Token, OperatorRules.Operator);
        return await SignInAsync(name, password);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<int> CountOperatorsAsync()
    {
        await using var db = server.OpenDb();
        return await db.Operators.CountAsync();
    }

    private async Task<long> AuditCountAsync()
    {
        await using var db = server.OpenDb();
        return await db.AuditEntries.CountAsync();
    }

    private async Task<Storage.AuditEntryEntity> LastAuditAsync()
    {
        await using var db = server.OpenDb();
        return await db.AuditEntries.OrderByDescending(e => e.Sequence).FirstAsync();
    }
}

public sealed class SqliteHotlineTests(MjpkiServer server) : HotlineTests(server), IClassFixture<MjpkiServer>;

public sealed class PostgresHotlineTests(PostgresMjpkiServer server) : HotlineTests(server), IClassFixture<PostgresMjpkiServer>;
