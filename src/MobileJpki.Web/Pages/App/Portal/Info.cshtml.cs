using System.ComponentModel.DataAnnotations;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Portal;

/// <summary>わたしの情報 (mjpki app info): 診療・薬剤・医療費・健診, sample data for the session's person.</summary>
public sealed class InfoModel : PhonePageModel
{
    /// <summary>The chosen view (one of <see cref="InformationViews.All"/>; 診療 by default).</summary>
    [Microsoft.AspNetCore.Mvc.BindProperty(SupportsGet = true)]
    [StringLength(16)]
    public string? View { get; set; }

    public InformationView? Result { get; private set; }

    public bool LoggedIn
    {
        get => field && ErrorCode is not ("session-invalid" or "not-logged-in");
        private set;
    }

    public async Task OnGetAsync(CancellationToken ct)
    {
        View = InformationViews.All.Contains(View) ? View : InformationViews.Medical;
        await WithAppAsync(
            async (_, phone) =>
            {
                var token = RequireSession(phone);
                LoggedIn = true;
                Result = await Devices.Api().GetInformationAsync(token, View!, ct);
            },
            ct);
    }

    /// <summary>The view's tab label.</summary>
    public static (string Ja, string En) Label(string view) => view switch
    {
        InformationViews.Medical => ("診療情報", "Medical care"),
        InformationViews.Medicine => ("薬剤情報", "Medicine"),
        InformationViews.Costs => ("医療費通知情報", "Medical costs"),
        _ => ("特定健診情報", "Health checkups"),
    };
}
