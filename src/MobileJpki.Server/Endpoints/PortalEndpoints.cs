using System.Globalization;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>マイナポータル login with the phone's or the card's auth certificate, the person's view, logout and usage log.</summary>
internal static class PortalEndpoints
{
    private const int MaxUsagePage = 100;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/portal").WithTags("Portal: login");
        api.MapPost("/challenges", ChallengeAsync)
            .WithSummary("A single-use login challenge (2 minutes): for the phone (phoneId, device secret as bearer) or for the card (clientNonce)")
            .Produces<LoginChallengeView>()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024))
            .RequireRateLimiting(RateLimitPolicies.LoginChallenges);
        api.MapPost("/sessions", LoginAsync)
            .WithSummary("Log in: the auth certificate and its signature over the login message (docs/relying-parties.md); a portal session (30 minutes)")
            .Produces<SessionView>(StatusCodes.Status201Created)
            .WithMetadata(new RequestSizeLimitMetadata(32 * 1024));
        api.MapGet("/me", MeAsync)
            .WithSummary("The signed-in person (no 基本4情報: the auth certificate has none)")
            .Produces<PortalMe>();
        api.MapPost("/logout", LogoutAsync)
            .WithSummary("Ends the portal session")
            .Produces(StatusCodes.Status204NoContent);
        api.MapGet("/usage", UsageAsync)
            .WithSummary("利用履歴: every use of the person's certificates, newest first (before, limit ≤ 100)")
            .Produces<UsagePage>();
    }

    /// <summary>
    /// The origin the login message is bound to: <c>Portal:Origin</c> when set (behind a proxy), else the scheme and
    /// Host header this request came to, normalized as <see cref="LoginMessage.Origin"/>.
    /// </summary>
    internal static string Origin(HttpRequest request, PortalOptions options)
    {
        var origin = options.Origin.Length > 0 ? options.Origin : $"{request.Scheme}://{request.Host.Value}";
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) ? LoginMessage.Origin(uri) : string.Empty;
    }

    /// <summary>The decoded certificate and signature of a login answer (bounded).</summary>
    internal static (byte[] Certificate, byte[] Signature) Answer(LoginRequest? body) =>
        (Inputs.Base64(body?.Certificate, "certificate", 8192), Inputs.Base64(body?.Signature, "signature", 1024));

    private static async Task<IResult> ChallengeAsync(LoginChallengeRequest? body, HttpRequest request, RegistrationAuthority ra, PortalLogin login, CancellationToken ct)
    {
        var context = await ContextAsync(body?.PhoneId, body?.ClientNonce, request, ra, ct);
        return Results.Json(await login.CreateChallengeAsync(context, ct));
    }

    private static async Task<IResult> LoginAsync(LoginRequest? body, HttpRequest request, RegistrationAuthority ra, PortalLogin login, PortalOptions options, CancellationToken ct)
    {
        var context = await ContextAsync(body?.PhoneId, body?.ClientNonce, request, ra, ct);
        var (certificate, signature) = Answer(body);
        var (view, _) = await login.LoginAsync(context, Origin(request, options), body!.Challenge, certificate, signature, ct);
        return Results.Json(view, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> MeAsync(HttpRequest request, SessionService sessions, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        return Results.Json(new PortalMe(
            session.PersonId.ToString(),
            session.Kind == CertificateKind.CardAuth ? "card-auth" : "phone-auth",
            session.CertificateSerial,
            session.CreatedAt,
            session.ExpiresAt));
    }

    private static async Task<IResult> LogoutAsync(HttpRequest request, SessionService sessions, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        await sessions.EndAsync(session, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> UsageAsync(HttpRequest request, SessionService sessions, IUsageLog usage, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        var before = Number(request, "before", 0, long.MaxValue, 0);
        var limit = (int)Number(request, "limit", 1, MaxUsagePage, 20);

        // Only the session's own person: nothing in the request can name another.
        var rows = await usage.ListAsync(session.PersonId, before, limit, ct);
        var items = rows.Select(u => new UsageView(u.Id, u.At, u.Kind, u.Party, u.CertificateSerial, u.Detail)).ToArray();
        return Results.Json(new UsagePage(items, items.Length == limit ? items[^1].Id : null));
    }

    private static async Task<LoginContext> ContextAsync(string? phoneId, string? clientNonce, HttpRequest request, RegistrationAuthority ra, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(phoneId) == !string.IsNullOrEmpty(clientNonce))
        {
            throw MjpkiException.BadRequest("bad-field", "Give exactly one of 'phoneId' (phone login) and 'clientNonce' (card login).");
        }

        if (!string.IsNullOrEmpty(phoneId))
        {
            var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
            return LoginContext.PortalPhone(phone.PhoneId);
        }

        if (clientNonce!.Length is < 16 or > 128 || clientNonce.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("bad-field", "'clientNonce' must be 16–128 printable characters.");
        }

        return LoginContext.PortalCard(clientNonce);
    }

    private static long Number(HttpRequest request, string name, long min, long max, long fallback)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw MjpkiException.BadRequest("bad-field", $"'{name}' must be a number from {min} to {max}.");
    }
}
