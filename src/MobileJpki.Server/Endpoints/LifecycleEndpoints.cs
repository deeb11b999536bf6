using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>The lifecycle steps the portal app starts: suspend, resume, revoke, device change, password reset.</summary>
internal static class LifecycleEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Portal app: lifecycle");
        api.MapPost("/phones/{phoneId}/suspension", SuspendAsync)
            .WithSummary("一時利用停止: put this phone's certificates on hold (OCSP and CRL say certificateHold)")
            .Produces<LifecycleReceipt>();
        api.MapPost("/phones/{phoneId}/resumption", ResumeAsync)
            .WithSummary("解除: the auth certificate is good again; the signing certificate is revoked and issued again from the card-signed application (then 利用登録 again)")
            .Produces<LifecycleReceipt>()
            .WithMetadata(new RequestSizeLimitMetadata(128 * 1024));
        api.MapPost("/phones/{phoneId}/revocation", RevokeAsync)
            .WithSummary("失効: revoke this phone's certificates; the app then deletes the SE data")
            .Produces<LifecycleReceipt>();
        api.MapPost("/device-changes", ChangeDeviceAsync)
            .WithSummary("機種変更: an application from the new phone; on issue the old phone's certificates are revoked (confirmRevokeOldPhone required)")
            .Produces<ApplicationReceipt>(StatusCodes.Status202Accepted)
            .WithMetadata(new RequestSizeLimitMetadata(128 * 1024));
        api.MapPost("/phones/{phoneId}/password-reset/challenge", ChallengeAsync)
            .WithSummary("パスワード初期化, step 1: a single-use challenge for the card to sign")
            .Produces<ChallengeView>()
            .WithMetadata(new RequestSizeLimitMetadata(4 * 1024));
        api.MapPost("/phones/{phoneId}/password-reset", ResetAsync)
            .WithSummary("パスワード初期化, step 2: the card's signature over the challenge and the SE's challenge; approved → the SE reset authorisation, with which the SE takes a new phone password")
            .Produces<PasswordResetApproval>()
            .WithMetadata(new RequestSizeLimitMetadata(32 * 1024));
    }

    private static async Task<IResult> SuspendAsync(string phoneId, HttpRequest request, RegistrationAuthority ra, PhoneLifecycle lifecycle, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var result = await lifecycle.SuspendAsync(phone, ct);
        return Results.Json(new LifecycleReceipt(
            result.Serials,
            "スマホ用電子証明書を一時利用停止しました。解除はこのスマホのアプリから行えます / Suspended; resume (解除) from the app on this phone.",
            null));
    }

    private static async Task<IResult> ResumeAsync(string phoneId, ResumeRequest? body, HttpRequest request, RegistrationAuthority ra, PhoneLifecycle lifecycle, IssuanceWorker worker, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var cms = string.IsNullOrEmpty(body?.Cms) ? null : Inputs.Base64(body.Cms, "cms", 96 * 1024);
        var (result, application) = await lifecycle.ResumeAsync(phone, cms, ct);
        worker.Poke();
        return Results.Json(new LifecycleReceipt(
            result.Serials,
            application is null
                ? "一時利用停止を解除しました / Resumed."
                : "一時利用停止を解除しました。署名用電子証明書は再発行されます。通知が届いたら利用登録を行ってください / Resumed; the signing certificate is issued again: register it (利用登録) when notified.",
            application is null ? null : Receipt(application)));
    }

    private static async Task<IResult> RevokeAsync(string phoneId, HttpRequest request, RegistrationAuthority ra, PhoneLifecycle lifecycle, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var result = await lifecycle.RevokeAsync(phone, ct);
        return Results.Json(new LifecycleReceipt(
            result.Serials,
            "スマホ用電子証明書を失効しました。スマホ内のデータを削除してください / Revoked; the app deletes the data in the secure element.",
            null));
    }

    private static async Task<IResult> ChangeDeviceAsync(DeviceChangeRequest body, PhoneLifecycle lifecycle, IssuanceWorker worker, CancellationToken ct)
    {
        var cms = Inputs.Base64(body?.Cms, "cms", 96 * 1024);
        var (application, _) = await lifecycle.ChangeDeviceAsync(cms, body!.ConfirmRevokeOldPhone, ct);
        worker.Poke();
        return Results.Json(Receipt(application), statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ChallengeAsync(string phoneId, ChallengeRequest? body, HttpRequest request, RegistrationAuthority ra, PhoneLifecycle lifecycle, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var challenge = await lifecycle.CreateResetChallengeAsync(phone, body?.Kind, ct);
        return Results.Json(new ChallengeView(challenge.Id, challenge.ExpiresAt));
    }

    private static async Task<IResult> ResetAsync(string phoneId, PasswordResetRequest? body, HttpRequest request, RegistrationAuthority ra, PhoneLifecycle lifecycle, CancellationToken ct)
    {
        var phone = await ra.AuthenticatePhoneAsync(phoneId, Inputs.Bearer(request), ct);
        var approval = await lifecycle.ApproveResetAsync(phone, body ?? new PasswordResetRequest(string.Empty, string.Empty, string.Empty, string.Empty), ct);
        return Results.Json(approval);
    }

    private static ApplicationReceipt Receipt(ApplicationRecord application) => new(
        application.Id.ToString(),
        "queued",
        application.AcceptedAt,
        application.ProcessAfter,
        application.ProcessAfter <= application.AcceptedAt
            ? "申請を受け付けました。まもなく発行されます / Accepted; it will be issued shortly."
            : $"申請を受け付けました。19:30以降の申請は翌日の受付開始後に処理されます（{application.ProcessAfter.ToOffset(ProcessingWindow.Jst):yyyy-MM-dd HH:mm} JST） / Accepted after the cut-off; it will be processed at the next opening.");
}
