using Microsoft.AspNetCore.Mvc;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Portal;

/// <summary>利用履歴 (mjpki app usage): every use of the person's certificates, newest first, 20 a page.</summary>
public sealed class UsageModel : PhonePageModel
{
    private const int PageSize = 20;

    /// <summary>Show entries older than this id (paging); 0 for the newest.</summary>
    [BindProperty(SupportsGet = true)]
    public long Before { get; set; }

    public UsagePage? Result { get; private set; }

    public bool LoggedIn
    {
        get => field && ErrorCode is not ("session-invalid" or "not-logged-in");
        private set;
    }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Before = Math.Max(0, Before);
        await WithAppAsync(
            async (_, phone) =>
            {
                var token = RequireSession(phone);
                LoggedIn = true;
                Result = await Devices.Api().GetUsageAsync(token, Before, PageSize, ct);
            },
            ct);
    }

    /// <summary>The kind of use in words.</summary>
    public static (string Ja, string En) Label(string kind) => kind switch
    {
        "login" => ("マイナポータルへのログイン", "Portal login"),
        "e-application" => ("電子申請", "E-application"),
        "kiosk" => ("コンビニ交付", "Kiosk document"),
        "hospital" => ("健康保険証の資格確認", "Health insurance check"),
        "oidc-login" => ("外部サービスへのログイン", "Login to a service"),
        "oidc-sign" => ("外部サービスでの署名", "Signature for a service"),
        _ => (kind, kind),
    };
}
