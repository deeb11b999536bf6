using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Endpoints;

/// <summary>
/// E-applications in My Page (電子申請): submit a form signed with the phone signing certificate as CMS, list the
/// person's own history, fetch a stored CMS. Every call needs a portal session (Authorization: Bearer).
/// </summary>
internal static class EApplicationEndpoints
{
    /// <summary>The body limit of a submission: the CMS (at most 32 KiB) in base64 inside a small JSON.</summary>
    public const int MaxBodyBytes = 48 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/portal/e-applications").WithTags("My Page: e-applications");
        api.MapPost("/", SubmitAsync)
            .WithSummary("電子申請: a form signed in the SE with the phone signing key (CMS SignedData, the form JSON as content); checked and stored as submitted")
            .Produces<EApplicationReceipt>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithMetadata(new RequestSizeLimitMetadata(MaxBodyBytes));
        api.MapGet("/", HistoryAsync)
            .WithSummary("The signed-in person's own e-applications, newest first")
            .Produces<EApplicationView[]>()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapGet("/{id}/cms", CmsAsync)
            .WithSummary("One of the person's e-applications as stored: the CMS SignedData (DER), e.g. for `openssl cms -verify`")
            .Produces(StatusCodes.Status200OK, contentType: "application/pkcs7-mime")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    public static EApplicationView View(EApplicationRecord a) =>
        new(a.Id.ToString(), a.Type, EApplicationTypes.Title(a.Type) ?? a.Type, a.Summary, a.Status, a.SubmittedAt, a.CertificateSerial);

    private static async Task<IResult> SubmitAsync(HttpRequest request, SessionService sessions, EApplicationService applications, CancellationToken ct)
    {
        // The session first: nothing of the body is read for a caller who is not logged in.
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        EApplicationSubmission? body;
        try
        {
            body = await request.ReadFromJsonAsync<EApplicationSubmission>(ProtocolJson.Options, ct);
        }
        catch (JsonException)
        {
            throw MjpkiException.BadRequest("bad-request", "The body could not be read as the expected JSON.");
        }
        catch (InvalidOperationException)
        {
            throw MjpkiException.BadRequest("bad-request", "The body must be application/json.");
        }

        if (!EApplicationTypes.IsKnown(body?.Type))
        {
            throw EApplicationForms.UnknownType();
        }

        var cms = Inputs.Base64(body!.Cms, "cms", EApplicationService.MaxCmsBytes);
        var stored = await applications.SubmitAsync(session, body.Type, cms, ct);
        return Results.Json(
            new EApplicationReceipt(View(stored), "電子申請を受け付けました / The e-application was received."),
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> HistoryAsync(HttpRequest request, SessionService sessions, EApplicationService applications, int? limit, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        var history = await applications.HistoryAsync(session, limit ?? 50, ct);
        return Results.Json(history.Select(View).ToArray());
    }

    private static async Task<IResult> CmsAsync(string id, HttpRequest request, SessionService sessions, EApplicationService applications, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(Inputs.Bearer(request), SessionAudiences.Portal, ct);
        if (!Guid.TryParse(id, out var applicationId))
        {
            throw MjpkiException.NotFound("unknown-e-application", "その電子申請はありません / No such e-application.");
        }

        return Results.Bytes(await applications.GetCmsAsync(session, applicationId, ct), "application/pkcs7-mime; smime-type=signed-data");
    }
}
