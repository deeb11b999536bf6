using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Lifecycle;

/// <summary>失効: revoke this phone's certificates; the app then deletes the keys, certificates and passwords in the SE (mjpki app revoke --yes).</summary>
public sealed class RevokeModel : PhonePageModel
{
    /// <summary>The explicit agreement that this cannot be undone.</summary>
    [BindProperty]
    public bool Confirmed { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => await FindPhoneAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(
            async (app, _) =>
            {
                if (!Confirmed)
                {
                    throw new AppException("not-confirmed", "失効する場合は確認欄にチェックしてください / Tick the box to confirm the revocation.");
                }

                await app.RevokeAsync(confirmed: true, ct);
            },
            ct);
        return ok ? Redirect(PhoneUrl("mypage?done=revoked")) : Page();
    }
}
