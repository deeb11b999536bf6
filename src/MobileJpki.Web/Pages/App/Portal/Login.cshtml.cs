using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Portal;

/// <summary>
/// マイナポータル login with this phone's auth certificate (mjpki app login): the 4-digit PIN, the login message signed in
/// the SE, the session kept in the app's storage; and logout.
/// </summary>
public sealed class LoginModel : PhonePageModel
{
    [BindProperty]
    [StringLength(16)]
    public string? Pin { get; set; }

    /// <summary>The kept session's end, when logged in.</summary>
    public DateTimeOffset? LoggedInUntil { get; private set; }

    /// <summary>Where to go after logging in (one of the portal pages of this phone), from a page that needed a session.</summary>
    [BindProperty(SupportsGet = true)]
    [StringLength(16)]
    public string? Next { get; set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        await WithAppAsync((_, phone) => { LoggedInUntil = SessionToken(phone) is null ? null : SessionExpires(phone); return Task.CompletedTask; }, ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(
            async (app, phone) =>
            {
                if (!ModelState.IsValid || string.IsNullOrEmpty(Pin))
                {
                    throw new AppException("input-needed", "暗証番号（数字4桁）を入力してください / Enter your 4-digit PIN.");
                }

                var session = await app.LoginAsync(Pin, ct);
                StoreSession(phone, session);
            },
            ct);
        Pin = null;
        return ok ? Redirect(PhoneUrl(Next is "eapplications" or "info" or "usage" ? Next : "eapplications")) : Page();
    }

    public async Task<IActionResult> OnPostLogoutAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(
            async (_, phone) =>
            {
                if (SessionToken(phone) is { } token)
                {
                    // The session is forgotten on this phone even when the server no longer knows it.
                    ClearSession(phone);
                    try
                    {
                        await Devices.Api().LogoutAsync(token, ct);
                    }
                    catch (AppException e) when (e.Code == "session-invalid")
                    {
                    }
                }
            },
            ct);
        return ok ? Redirect(PhoneUrl("mypage?done=logged-out")) : Page();
    }
}
