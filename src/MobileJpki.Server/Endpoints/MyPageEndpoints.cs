using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Endpoints;

/// <summary>My Page's information views (診療・薬剤・医療費・健診) over sample data, for the signed-in person only.</summary>
internal static class MyPageEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/portal/information").WithTags("My Page: information");
        api.MapGet("/{view}", ViewAsync)
            .WithSummary("診療・薬剤・医療費・健診 (medical, medicine, costs, checkups) of the session's person; sample data, the same for the same person")
            .Produces<InformationView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ViewAsync(string view, HttpRequest request, SessionService sessions, CancellationToken ct)
    {
        // The person is the session's, never a parameter: there is no way to ask for someone else's.
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        return Results.Json(InformationSamples.For(session.PersonId, view));
    }
}
