using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>利用申請 and everything the portal app asks about its phone.</summary>
internal static class ApplicationEndpoints
{
    private const int MaxWaitSeconds = 60;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Portal app");
        api.MapPost("/applications", SubmitAsync)
            .WithSummary("Submit a 利用申請 signed by the card (CMS SignedData)")
            .Produces<ApplicationReceipt>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithMetadata(new RequestSizeLimitMetadata(128 * 1024));
        api.MapGet("/phones/{phoneId}/status", StatusAsync)
            .WithSummary("Applications and certificates of this phone; wipe=true when they were superseded")
            .Produces<PhoneStatus>();
        api.MapGet("/phones/{phoneId}/notifications", NotificationsAsync)
            .WithSummary("Long-poll for notices (push notification stand-in): returns at once if any id > after, else waits up to 'wait' seconds")
            .Produces<PhoneNotification[]>();
        api.MapPost("/phones/{phoneId}/registration", RegisterAsync)
            .WithSummary("利用登録: report the certificates the SE accepted; they become active")
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
        api.MapPost("/phones/{phoneId}/wipe-acknowledgement", AcknowledgeWipeAsync)
            .WithSummary("The app deleted the superseded certificates from the SE");
    }

    private static async Task<IResult> SubmitAsync(ApplicationSubmission body, RegistrationAuthority ra, IssuanceWorker worker, CancellationToken ct)
    {
        var cms = Inputs.Base64(body?.Cms, "cms", 96 * 1024);
        var accepted = await ra.AcceptAsync(cms, ct);
        worker.Poke();
        var now = accepted.AcceptedAt;
        var message = accepted.ProcessAfter <= now
            ? "申請を受け付けました。まもなく発行されます / Accepted; it will be issued shortly."
            : $"申請を受け付けました。19:30以降の申請は翌日の受付開始後に処理されます（{accepted.ProcessAfter.ToOffset(ProcessingWindow.Jst):yyyy-MM-dd HH:mm} JST） / Accepted after the cut-off; it will be processed at the next opening.";
        return Results.Json(
            new ApplicationReceipt(accepted.Id.ToString(), "queued", accepted.AcceptedAt, accepted.ProcessAfter, message),
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> StatusAsync(string phoneId, bool? certificates, HttpRequest request, RegistrationAuthority ra, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        return Results.Json(await ra.GetStatusAsync(phone, certificates ?? false, ct));
    }

    private static async Task<IResult> NotificationsAsync(string phoneId, long? after, int? wait, HttpRequest request, RegistrationAuthority ra, PhoneNotifier notifier, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var waitFor = TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, MaxWaitSeconds));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(waitFor);
        while (true)
        {
            // Subscribe before reading so a notice stored in between is not missed.
            var next = notifier.NextAsync(phone.PhoneId);
            var notes = await ra.GetNotificationsAsync(phone, after ?? 0, ct);
            if (notes.Count > 0 || timeout.IsCancellationRequested)
            {
                return Results.Json(notes.Select(n => new PhoneNotification(n.Id, n.Type, n.ApplicationId?.ToString(), n.CreatedAt, n.Title, n.Body)).ToArray());
            }

            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The wait ran out; one last read above answers with whatever is there.
            }
        }
    }

    private static async Task<IResult> RegisterAsync(string phoneId, RegistrationRequest body, HttpRequest request, RegistrationAuthority ra, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var count = await ra.RegisterAsync(phone, body?.Serials ?? [], ct);
        return Results.Json(new { registered = count, status = await ra.GetStatusAsync(phone, false, ct) });
    }

    private static async Task<IResult> AcknowledgeWipeAsync(string phoneId, HttpRequest request, RegistrationAuthority ra, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        await ra.AcknowledgeWipeAsync(phone, ct);
        return Results.NoContent();
    }
}
