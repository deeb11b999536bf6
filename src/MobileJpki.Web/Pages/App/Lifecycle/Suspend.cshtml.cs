using Microsoft.AspNetCore.Mvc;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Lifecycle;

/// <summary>一時利用停止: the app asks the server to put this phone's certificates on hold (mjpki app suspend).</summary>
public sealed class SuspendModel : PhonePageModel
{
    public async Task OnGetAsync(CancellationToken ct) => await FindPhoneAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(async (app, _) => await app.SuspendAsync(ct), ct);
        return ok ? Redirect(PhoneUrl("mypage?done=suspended")) : Page();
    }
}
