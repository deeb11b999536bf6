using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>コンビニ交付: a kiosk logs the person in with the phone (or card) and prints documents for exactly that person.</summary>
internal static class KioskEndpoints
{
    /// <summary>The header that carries a kiosk's or hospital reader's API key.</summary>
    public const string TerminalKeyHeader = "X-Terminal-Key";

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/kiosks/{kioskId}").WithTags("Kiosk (コンビニ交付)");
        MapLogin(api, SessionAudiences.Kiosk, "kioskId");
        api.MapPost("/documents", IssueAsync)
            .WithSummary("住民票の写し for the person of the kiosk session (bearer), signed JWS; the body names no person")
            .Produces<KioskDocument>(StatusCodes.Status201Created)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
        app.MapGet("/api/v1/documents/keys", (DocumentSigner signer) => Results.Json(new DocumentKeySet([signer.PublicKey])))
            .WithTags("Kiosk (コンビニ交付)")
            .WithSummary("The public keys (JWK set) that verify the documents kiosks print")
            .Produces<DocumentKeySet>();
    }

    /// <summary>Challenge, login and logout of a terminal (kiosk or hospital reader), under <c>{id}</c> of the group.</summary>
    internal static void MapLogin(RouteGroupBuilder api, string audience, string route)
    {
        api.MapPost("/challenges", (HttpRequest request, PortalLogin login, CancellationToken ct) =>
            {
                var id = Authorize(request, login, audience, Id(request, route));
                return ChallengeAsync(login, audience, id, ct);
            })
            .WithSummary("A single-use login challenge (2 minutes) for the phone or card held to this terminal (X-Terminal-Key)")
            .Produces<LoginChallengeView>()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024))
            .WithMetadata(new RateLimitAccount(route))
            .RequireRateLimiting(RateLimitPolicies.LoginChallenges);
        api.MapPost("/sessions", async (LoginRequest? body, HttpRequest request, PortalLogin login, PortalOptions options, CancellationToken ct) =>
            {
                var id = Authorize(request, login, audience, Id(request, route));
                var (certificate, signature) = PortalEndpoints.Answer(body);
                var (view, _) = await login.LoginAsync(LoginContext.Terminal(audience, id), PortalEndpoints.Origin(request, options), body!.Challenge, certificate, signature, ct);
                return Results.Json(view, statusCode: StatusCodes.Status201Created);
            })
            .WithSummary("Log in at this terminal: the auth certificate (phone or card) and its signature over the login message; a session of this terminal (5 minutes)")
            .Produces<SessionView>(StatusCodes.Status201Created)
            .WithMetadata(new RequestSizeLimitMetadata(32 * 1024));
        api.MapPost("/logout", async (HttpRequest request, PortalLogin login, SessionService sessions, CancellationToken ct) =>
            {
                var id = Authorize(request, login, audience, Id(request, route));
                var session = await login.RequireAsync(Inputs.Bearer(request), audience, id, ct);
                await sessions.EndAsync(session, ct);
                return Results.NoContent();
            })
            .WithSummary("Ends the terminal session")
            .Produces(StatusCodes.Status204NoContent);
    }

    /// <summary>The terminal's id once its key is accepted.</summary>
    internal static string Authorize(HttpRequest request, PortalLogin login, string audience, string? id)
    {
        var key = request.Headers[TerminalKeyHeader].ToString();
        login.AuthorizeTerminal(audience, id ?? string.Empty, key.Length == 0 ? null : key);
        return id!;
    }

    private static string? Id(HttpRequest request, string route) => request.RouteValues[route] as string;

    private static async Task<IResult> ChallengeAsync(PortalLogin login, string audience, string id, CancellationToken ct) =>
        Results.Json(await login.CreateChallengeAsync(LoginContext.Terminal(audience, id), ct));

    private static async Task<IResult> IssueAsync(string kioskId, KioskDocumentRequest? body, HttpRequest request, PortalLogin login, Kiosk kiosk, CancellationToken ct)
    {
        var id = Authorize(request, login, SessionAudiences.Kiosk, kioskId);

        // The person is the session's: a kiosk session of this kiosk, never a portal or hospital session or another kiosk's.
        var session = await login.RequireAsync(Inputs.Bearer(request), SessionAudiences.Kiosk, id, ct);
        var document = await kiosk.IssueAsync(session, body?.Type, ct);
        return Results.Json(document, statusCode: StatusCodes.Status201Created);
    }
}
