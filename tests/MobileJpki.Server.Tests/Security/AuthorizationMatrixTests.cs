using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Server.Tests.Security;

/// <summary>
/// The authorisation matrix as data: every route of a server in a production configuration, the answer each kind of
/// caller gets. The route table is read from the running server, so a new route without a row fails
/// (<see cref="RouteTable_EveryRouteHasARow"/>), and docs/security.md must hold the same table, rendered from these
/// rows (<see cref="SecurityMd_HoldsTheMatrix"/>).
/// </summary>
/// <remarks>
/// Every request is real: an authorised caller typically gets 200, or the 400/404/409 the handler gives the test's
/// deliberately empty body or unknown id, which still shows the caller got past the gate; 401/403 are refusals at the
/// gate and carry the row's refusal code. Rows run in order and callers left to right; rows that end something (the
/// phone's certificates, a session) come last.
/// </remarks>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.Fixture server) : IClassFixture<AuthorizationMatrixTests.Fixture>
{
    /// <summary>The kinds of caller, in the matrix's column order.</summary>
    public enum Caller
    {
        Anonymous,
        Phone,
        Person,
        Operator,
        Supervisor,
        Office,
        RpAdmin,
        Terminal,
        Monitoring,
    }

    private static readonly string[] ColumnNames = ["anonymous", "phone", "person session", "operator", "supervisor", "office", "RP admin", "terminal", "monitoring"];

    /// <summary>One row: a route (method and pattern as the route table names them) and each caller's answer.</summary>
    /// <param name="Route">"GET /api/v1/audit"; "ANY" for endpoints that take every method (Razor Pages, health checks).</param>
    /// <param name="Answers">Per caller, in <see cref="Caller"/> order.</param>
    /// <param name="Refusal">The problem code of every 401/403 answer of the row, when it has one ("a / b": either).</param>
    /// <param name="Path">The concrete path asked, when the pattern's parameters are not the usual ones.</param>
    /// <param name="Body">The JSON body sent (POST default: <c>{}</c>).</param>
    /// <param name="Middleware">Served by middleware (OpenIddict), so not in the route table but checked the same way.</param>
    public sealed record Row(string Route, int[] Answers, string? Refusal = null, string? Path = null, string? Body = null, bool Middleware = false)
    {
        public string Method => Route[..Route.IndexOf(' ', StringComparison.Ordinal)];

        public string Pattern => Route[(Route.IndexOf(' ', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>
    /// A row: <paramref name="all"/> for every caller unless named. To add a route, add its row here (and the
    /// rendered table to docs/security.md: the failure message of <see cref="SecurityMd_HoldsTheMatrix"/> prints it).
    /// </summary>
    private static Row R(
        string route,
        int all,
        int? anonymous = null,
        int? phone = null,
        int? person = null,
        int? @operator = null,
        int? supervisor = null,
        int? office = null,
        int? rpAdmin = null,
        int? terminal = null,
        int? monitoring = null,
        string? refusal = null,
        string? path = null,
        string? body = null,
        bool middleware = false) =>
        new(route, [anonymous ?? all, phone ?? all, person ?? all, @operator ?? all, supervisor ?? all, office ?? all, rpAdmin ?? all, terminal ?? all, monitoring ?? all], refusal, path, body, middleware);

    public static readonly Row[] Matrix =
    [
        // Public by design: the landing page, CA certificates, CRLs, OCSP, the API document, assets, the clock, keys.
        R("GET /", 200),
        R("ANY /healthz", 200),
        R("ANY /readyz", 200),
        R("GET /ca/{name}", 200, path: "/ca/sign.cer"),
        R("GET /crl/{name}", 200, path: "/crl/sign.crl"),
        R("GET /crl/{hierarchy}/{partition}", 200, path: "/crl/sign/0.crl"),
        R("GET /ocsp/{hierarchy}/{**request}", 200, path: "/ocsp/sign/MAA="),
        R("POST /ocsp/{hierarchy}", 200, path: "/ocsp/sign"),
        R("GET /openapi/{documentName}.json", 200, path: "/openapi/v1.json"),
        R("GET /ui/assets/{name}", 200, path: "/ui/assets/site.css"),
        R("GET /ui/lang", 302, path: "/ui/lang?to=en"),
        R("GET /api/v1/time", 200),
        R("GET /api/v1/webpush/vapid-public-key", 200),
        R("GET /api/v1/documents/keys", 200),

        // Monitoring: /metrics only for the monitoring networks or key.
        R("ANY /metrics", 401, monitoring: 200, refusal: "metrics-unauthorized"),

        // The operator console: its own cookie, so a bearer token does not sign anyone in.
        R("ANY /console", 302),
        R("ANY /console/audit", 302),
        R("ANY /console/operators", 302),
        R("ANY /console/sign-in", 200),

        // 利用申請 and device change: the card's signature in the body is the credential.
        R("POST /api/v1/applications", 400),
        R("POST /api/v1/device-changes", 400),

        // The phone: its device secret for its own phone id.
        R("GET /api/v1/phones/{phoneId}/status", 401, phone: 200, refusal: "phone-unauthorized"),
        R("GET /api/v1/phones/{phoneId}/notifications", 401, phone: 200, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/registration", 401, phone: 400, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/wipe-acknowledgement", 401, phone: 204, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/webpush-subscriptions", 401, phone: 400, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/password-reset/challenge", 401, phone: 400, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/password-reset", 401, phone: 400, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/resumption", 401, phone: 409, refusal: "phone-unauthorized"),

        // マイナポータル: login needs a signed challenge; everything after it the person's session.
        R("POST /api/v1/portal/challenges", 400),
        R("POST /api/v1/portal/sessions", 400),
        R("GET /api/v1/portal/me", 401, person: 200, refusal: "session-invalid"),
        R("GET /api/v1/portal/usage", 401, person: 200, refusal: "session-invalid"),
        R("GET /api/v1/portal/information/{view}", 401, person: 200, refusal: "session-invalid", path: "/api/v1/portal/information/medical"),
        R("GET /api/v1/portal/e-applications/", 401, person: 200, refusal: "session-invalid"),
        R("POST /api/v1/portal/e-applications/", 401, person: 400, refusal: "session-invalid"),
        R("GET /api/v1/portal/e-applications/{id}/cms", 401, person: 404, refusal: "session-invalid"),

        // Kiosks and hospital readers: the terminal's key, then the person's terminal session.
        R("POST /api/v1/kiosks/{kioskId}/challenges", 401, terminal: 200, refusal: "terminal-unauthorized"),
        R("POST /api/v1/kiosks/{kioskId}/sessions", 401, terminal: 400, refusal: "terminal-unauthorized"),
        R("POST /api/v1/kiosks/{kioskId}/documents", 401, refusal: "terminal-unauthorized / session-invalid"),
        R("POST /api/v1/kiosks/{kioskId}/logout", 401, refusal: "terminal-unauthorized / session-invalid"),
        R("POST /api/v1/hospitals/{hospitalId}/challenges", 401, terminal: 200, refusal: "terminal-unauthorized"),
        R("POST /api/v1/hospitals/{hospitalId}/sessions", 401, terminal: 400, refusal: "terminal-unauthorized"),
        R("GET /api/v1/hospitals/{hospitalId}/eligibility", 401, refusal: "terminal-unauthorized / session-invalid"),
        R("POST /api/v1/hospitals/{hospitalId}/logout", 401, refusal: "terminal-unauthorized / session-invalid"),

        // The hotline: operators, and supervisors for accounts and the audit log.
        R("POST /api/v1/hotline/sessions", 400),
        R("POST /api/v1/hotline/person-searches", 401, @operator: 400, supervisor: 400, refusal: "operator-unauthorized"),
        R("POST /api/v1/hotline/persons/{personId}/suspension", 401, @operator: 400, supervisor: 400, refusal: "operator-unauthorized"),
        R("POST /api/v1/hotline/operators", 401, @operator: 403, supervisor: 400, refusal: "operator-unauthorized / operator-forbidden"),
        R("POST /api/v1/hotline/operators/{name}/unlock", 401, @operator: 403, supervisor: 404, refusal: "operator-unauthorized / operator-forbidden", path: "/api/v1/hotline/operators/nobody-here/unlock"),
        R("GET /api/v1/audit", 401, @operator: 403, supervisor: 200, refusal: "operator-unauthorized / operator-forbidden"),
        R("POST /api/v1/audit/checkpoints", 401, @operator: 403, supervisor: 200, refusal: "operator-unauthorized / operator-forbidden"),
        R("GET /api/v1/audit/key", 401, @operator: 403, supervisor: 200, refusal: "operator-unauthorized / operator-forbidden"),

        // 市区町村窓口: the office key.
        R("POST /api/v1/office/cards", 401, office: 400, refusal: "office-unauthorized"),
        R("POST /api/v1/office/address-change", 401, office: 400, refusal: "office-unauthorized"),
        R("POST /api/v1/office/renew", 401, office: 400, refusal: "office-unauthorized"),
        R("POST /api/v1/office/lose", 401, office: 400, refusal: "office-unauthorized"),
        R("POST /api/v1/office/found", 401, office: 400, refusal: "office-unauthorized"),
        R("POST /api/v1/office/reset-pin", 401, office: 400, refusal: "office-unauthorized"),

        // Relying parties: registration with the RP-admin key; OIDC and the signing API with the RP's own tokens.
        R("POST /api/v1/relying-parties", 401, rpAdmin: 400, refusal: "rp-admin-unauthorized"),
        R("POST /api/v1/sign-transactions", 401),
        R("GET /api/v1/sign-transactions/{id:guid}", 401),
        R("GET /connect/authorize", 400),
        R("POST /connect/authorize", 400),
        R("GET /connect/userinfo", 401),
        R("POST /connect/userinfo", 400),
        R("GET /connect/device-links/{id:guid}", 404),
        R("GET /device-link", 200),
        R("GET /api/v1/device-links/{code}", 404, path: "/api/v1/device-links/NOSUCHCODE"),
        R("POST /api/v1/device-links/{code}/decision", 400, path: "/api/v1/device-links/NOSUCHCODE/decision"),
        R("POST /connect/token", 400, middleware: true),
        R("GET /.well-known/openid-configuration", 200, middleware: true),
        R("GET /.well-known/jwks", 200, middleware: true),

        // Last: rows that end something (the session, the phone's certificates).
        R("POST /api/v1/portal/logout", 401, person: 204, refusal: "session-invalid"),
        R("POST /api/v1/phones/{phoneId}/suspension", 401, phone: 200, refusal: "phone-unauthorized"),
        R("POST /api/v1/phones/{phoneId}/revocation", 401, phone: 200, refusal: "phone-unauthorized"),
    ];

    [Fact]
    public void RouteTable_EveryRouteHasARow()
    {
        var routes = RouteTable();
        var rows = Matrix.Where(r => !r.Middleware).Select(r => r.Route).ToHashSet(StringComparer.Ordinal);

        var missing = routes.Where(r => !rows.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "Routes without a row in AuthorizationMatrixTests.Matrix (add one each):\n" + string.Join("\n", missing));
        var stale = rows.Where(r => !routes.Contains(r)).ToList();
        Assert.True(stale.Count == 0, "Rows of AuthorizationMatrixTests.Matrix for routes the server does not have:\n" + string.Join("\n", stale));
        Assert.Equal(Matrix.Length, Matrix.Select(r => r.Route).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void RouteTable_NoSimulatorSandboxOrOfficePageRoute()
    {
        var routes = RouteTable();

        Assert.NotEmpty(routes);
        Assert.DoesNotContain(routes, r => r.Split(' ')[1] is var p && (p.StartsWith("/app", StringComparison.OrdinalIgnoreCase) || p.StartsWith("/office", StringComparison.OrdinalIgnoreCase) || p.StartsWith("/api/v1/sandbox", StringComparison.Ordinal)));
        Assert.Contains("ANY /console/sign-in", routes);
    }

    [Fact]
    public async Task Matrix_EveryRouteAndCaller_AnswersAsTheRowSays()
    {
        var callers = await server.CallersAsync();
        using var client = server.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var wrong = new List<string>();
        foreach (var row in Matrix)
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                var expected = row.Answers[(int)caller];
                using var request = Build(row, caller, callers);
                using var response = await client.SendAsync(request);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                if (status != expected)
                {
                    wrong.Add($"{row.Route} as {caller}: {status}, expected {expected} ({Clip(body)})");
                }
                else if (status is 401 or 403 && row.Refusal is { } refusal && !refusal.Split(" / ").Contains(CodeOf(body)))
                {
                    wrong.Add($"{row.Route} as {caller}: {status} with code '{CodeOf(body)}', expected '{refusal}'");
                }
            }
        }

        Assert.True(wrong.Count == 0, "Answers that differ from the matrix:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void SecurityMd_HoldsTheMatrix()
    {
        var expected = Render();
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "security.md")).ReplaceLineEndings("\n");

        Assert.True(doc.Contains(expected, StringComparison.Ordinal), "docs/security.md, \"Authorisation matrix\", must hold this table:\n" + expected);
    }

    /// <summary>The matrix as Markdown, as docs/security.md shows it.</summary>
    public static string Render()
    {
        var text = new StringBuilder();
        text.Append("| route | ").AppendJoin(" | ", ColumnNames).Append(" | refusal |\n");
        text.Append("|---|").Append(string.Concat(Enumerable.Repeat("---|", ColumnNames.Length))).Append("---|\n");
        foreach (var row in Matrix)
        {
            text.Append("| `").Append(row.Route).Append("` | ").AppendJoin(" | ", row.Answers).Append(" | ");
            text.Append(row.Refusal is null ? string.Empty : $"`{row.Refusal}`").Append(row.Middleware ? " (middleware)" : string.Empty).Append(" |\n");
        }

        return text.ToString();
    }

    private List<string> RouteTable()
    {
        var routes = new List<string>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? string.Empty).TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            foreach (var method in methods is { Count: > 0 } ? methods : ["ANY"])
            {
                routes.Add($"{method} {pattern}");
            }
        }

        return [.. routes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static HttpRequestMessage Build(Row row, Caller caller, Callers callers)
    {
        var method = row.Method == "ANY" ? "GET" : row.Method;
        var path = row.Path ?? Substitute(row.Pattern, callers);
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH" || row.Body is not null)
        {
            request.Content = new StringContent(row.Body ?? "{}", Encoding.UTF8, "application/json");
        }

        switch (caller)
        {
            case Caller.Terminal:
                request.Headers.Add("X-Terminal-Key", ProductionServer.TerminalKey);
                break;
            case not Caller.Anonymous:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller switch
                {
                    Caller.Phone => callers.PhoneSecret,
                    Caller.Person => callers.PersonSession,
                    Caller.Operator => callers.OperatorToken,
                    Caller.Supervisor => callers.SupervisorToken,
                    Caller.Office => ProductionServer.OfficeKey,
                    Caller.RpAdmin => ProductionServer.RpAdminKey,
                    _ => ProductionServer.MetricsKey,
                });
                break;
        }

        return request;
    }

    private static string Substitute(string pattern, Callers callers) => pattern
        .Replace("{phoneId}", callers.PhoneId, StringComparison.Ordinal)
        .Replace("{kioskId}", ProductionServer.KioskId, StringComparison.Ordinal)
        .Replace("{hospitalId}", ProductionServer.HospitalId, StringComparison.Ordinal)
        .Replace("{personId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

    private static string? CodeOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Clip(string body) => body.Length > 200 ? body[..200] + "…" : body;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MobileJpki.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MobileJpki.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The credentials of each kind of caller on <see cref="Fixture"/>.</summary>
    public sealed record Callers(string PhoneId, string PhoneSecret, string PersonSession, string OperatorName, string OperatorToken, string SupervisorToken);

    /// <summary>The production server with one registered phone (of the configured maker), its person signed in, an operator and a supervisor.</summary>
    public sealed class Fixture : ProductionServer
    {
        private readonly Lazy<Task<Callers>> _callers;

        public Fixture() => _callers = new(SetUpAsync);

        public Task<Callers> CallersAsync() => _callers.Value;

        private async Task<Callers> SetUpAsync()
        {
            var (phone, app, _) = await RegisteredPhoneAsync(TestSeMaker.Primary, "行列 太郎");
            var session = await app.LoginAsync(MjpkiServer.Answers(TestCard.DefaultPassword).NewAuthPin, CancellationToken.None);
            var supervisor = await SignInAsync(SupervisorName, SupervisorPassword);
            using var add = new HttpRequestMessage(HttpMethod.Post, "/api/v1/hotline/operators") { Content = JsonContent.Create(new OperatorAddRequest("matrix-op", "operator", null)) };
            add.Headers.Authorization = new AuthenticationHeaderValue("Bearer", supervisor);
            using var added = await Client.SendAsync(add);
            added.EnsureSuccessStatusCode();
            var op = (await added.Content.ReadFromJsonAsync<OperatorAddResponse>(ProtocolJson.Options))!;
            var secret = phone.App.Values["deviceSecret"];
            return new Callers(phone.PhoneId, secret, session.Token, "matrix-op", await SignInAsync("matrix-op", op.Password!), supervisor);
        }

        private async Task<string> SignInAsync(string name, string password)
        {
            using var response = await Client.PostAsJsonAsync("/api/v1/hotline/sessions", new OperatorSignIn(name, password));
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<OperatorSessionView>(ProtocolJson.Options))!.Token;
        }
    }
}
