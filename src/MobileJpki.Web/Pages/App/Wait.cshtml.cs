using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App;

/// <summary>
/// /app/phones/{phoneId}/wait: after 申請完了, issuance is asynchronous (after 19:30 JST it waits for the next day's
/// opening). The page polls <c>?handler=Notice</c> and shows the push notification once the certificates are issued;
/// in the sandbox a button moves the clock to the next processing time.
/// </summary>
public sealed class WaitModel : PhoneScreenModel
{
    /// <summary>The application being waited for (latest).</summary>
    public ApplicationView? Application { get; private set; }

    /// <summary>The push notification of the issuance, once it arrived.</summary>
    public PhoneNotification? Notice { get; private set; }

    /// <summary>True when issued certificates wait for 利用登録.</summary>
    public bool Ready { get; private set; }

    /// <summary>The sandbox clock, when the server has one.</summary>
    public ClockView? Clock { get; private set; }

    /// <summary>True when this phone has applied at all.</summary>
    public bool Applied { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        await WithPhoneAsync(new WebScreens(), async (phone, app) =>
        {
            var status = await StatusOrNullAsync(app, ct);
            Applied = status is not null;
            Application = status?.Applications.LastOrDefault();
            Ready = status?.Certificates.Any(c => c.Status == "issued") == true;
            if (Ready && Application is not null && DeviceSecret(phone) is { } secret)
            {
                // The notices are read again from the start (not consumed), so a reload still shows the one that came.
                var notices = await Devices.Api().GetNotificationsAsync(phone.PhoneId, secret, 0, 0, ct);
                Notice = notices.LastOrDefault(n => n.ApplicationId == Application.ApplicationId && n.Type == "issued");
            }

            try
            {
                Clock = await Devices.Api().GetClockAsync(ct);
            }
            catch (AppException)
            {
                // A server without the sandbox: no clock to show or move.
            }
        }, ct);

    /// <summary>The page's poll: {"ready":true} once the certificates are issued (the push notification is there).</summary>
    public async Task<IActionResult> OnGetNoticeAsync(CancellationToken ct)
    {
        var ready = false;
        await WithPhoneAsync(new WebScreens(), async (_, app) =>
        {
            var status = await StatusOrNullAsync(app, ct);
            ready = status?.Certificates.Any(c => c.Status == "issued") == true;
        }, ct);
        return Missing ? NotFound() : new JsonResult(new { ready, error = ErrorCode });
    }

    /// <summary>Sandbox: 時計を次の処理時刻まで進める.</summary>
    public async Task<IActionResult> OnPostClockAsync(CancellationToken ct)
    {
        await WithPhoneAsync(new WebScreens(), async (_, _) => await Devices.Api().ChangeClockAsync(new ClockChange(null, null, true), ct), ct);
        if (Missing || Error is not null)
        {
            await OnGetAsync(ct);
            return Page();
        }

        return Redirect($"/app/phones/{PhoneId}/wait");
    }

    /// <summary>
    /// The secret the app shares with the server for this phone, from the app's own storage (the simulator page is the
    /// app): the notices endpoint wants it as the bearer.
    /// </summary>
    private static string? DeviceSecret(Device.VirtualPhone phone) => phone.App.Values.GetValueOrDefault("deviceSecret");
}
