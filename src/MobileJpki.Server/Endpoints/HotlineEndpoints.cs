using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>The hotline console (マイナンバー総合フリーダイヤル): sign-in, find a caller, suspend, manage accounts.</summary>
internal static class HotlineEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hotline").WithTags("Hotline");
        api.MapPost("/sessions", SignInAsync)
            .WithSummary("Operator sign-in: returns a bearer token (only its SHA-256 is stored)")
            .Produces<OperatorSessionView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024))
            .RequireRateLimiting(RateLimitPolicies.OperatorSignIn);
        api.MapPost("/operators", AddOperatorAsync)
            .WithSummary("Supervisor: add an operator or supervisor account")
            .Produces<OperatorAddResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
        api.MapPost("/operators/{name}/unlock", UnlockAsync)
            .WithSummary("Supervisor: unlock an account locked by repeated wrong passwords")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/person-searches", FindAsync)
            .WithSummary("Find a person by the facts a caller gives (birth date, name, address); a POST so they never appear in URLs")
            .Produces<PersonMatchView[]>()
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
        api.MapPost("/persons/{personId}/suspension", SuspendAsync)
            .WithSummary("一時利用停止: put the person's phone certificates on hold, with a reason")
            .Produces<HotlineSuspendResponse>()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
    }

    /// <summary>Where the request came from, for the audit log.</summary>
    public static string? Source(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static async Task<IResult> SignInAsync(OperatorSignIn? body, HttpContext context, HotlineService hotline, CancellationToken ct) =>
        Results.Json(await hotline.SignInAsync(body?.Name, body?.Password, Source(context), ct));

    private static async Task<IResult> AddOperatorAsync(OperatorAddRequest? body, HttpContext context, HotlineService hotline, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        var added = await hotline.AddOperatorAsync(caller, body ?? new OperatorAddRequest(null, null, null), Source(context), ct);
        return Results.Json(added, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UnlockAsync(string name, HttpContext context, HotlineService hotline, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        await hotline.UnlockOperatorAsync(caller, name, Source(context), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> FindAsync(PersonSearch? body, HttpContext context, HotlineService hotline, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        return Results.Json(await hotline.FindAsync(caller, body ?? new PersonSearch(null, null, null), Source(context), ct));
    }

    private static async Task<IResult> SuspendAsync(string personId, HotlineSuspendRequest? body, HttpContext context, HotlineService hotline, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        if (!Guid.TryParse(personId, out var id))
        {
            throw MjpkiException.BadRequest("bad-field", "'personId' must be a person id (UUID).");
        }

        var result = await hotline.SuspendAsync(caller, id, body?.Reason, Source(context), ct);
        return Results.Json(new HotlineSuspendResponse(id.ToString(), result.Serials, result.PhoneIds));
    }
}
