using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Server.Endpoints;

/// <summary>マイナ保険証: a hospital's reader logs the person in with the phone (or card) and gets that person's eligibility.</summary>
internal static class HospitalEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hospitals/{hospitalId}").WithTags("Hospital reader (マイナ保険証)");
        KioskEndpoints.MapLogin(api, SessionAudiences.Hospital, "hospitalId");
        api.MapGet("/eligibility", EligibilityAsync)
            .WithSummary("資格確認: the insurance of the person of the hospital session (bearer)")
            .Produces<EligibilityView>();
    }

    private static async Task<IResult> EligibilityAsync(string hospitalId, HttpRequest request, PortalLogin login, Hospital hospital, CancellationToken ct)
    {
        var id = KioskEndpoints.Authorize(request, login, SessionAudiences.Hospital, hospitalId);
        var session = await login.RequireAsync(Inputs.Bearer(request), SessionAudiences.Hospital, id, ct);
        return Results.Json(await hospital.CheckAsync(session, ct));
    }
}
