using MobileJpki.Core.Protocol;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App;

/// <summary>/app/phones/{phoneId}: the portal app's home on one phone — the apply banner, a notice to register, the state.</summary>
public sealed class PhoneHomeModel : PhoneScreenModel
{
    /// <summary>True when the model and its SE can hold the certificates.</summary>
    public bool Eligible { get; private set; }

    /// <summary>The server's view, or null before the first application.</summary>
    public PhoneStatus? Status { get; private set; }

    /// <summary>An application waiting to be issued.</summary>
    public ApplicationView? Pending => Status?.Applications.LastOrDefault(a => a.Status is "queued" or "processing");

    /// <summary>Certificates issued and waiting for 利用登録 (the notice has arrived).</summary>
    public bool CanRegister => Status?.Certificates.Any(c => c.Status == "issued") == true;

    /// <summary>Certificates that are not over (pending, issued, active or suspended).</summary>
    public IEnumerable<PhoneCertificateView> Live => Status?.Certificates.Where(c => c.Status is not ("revoked" or "expired")) ?? [];

    /// <summary>「スマホ用電子証明書が申請できます」: an eligible phone with nothing applied for or held.</summary>
    public bool Offer => Eligible && Pending is null && !Live.Any();

    public async Task OnGetAsync(CancellationToken ct) =>
        await WithPhoneAsync(new WebScreens(), async (phone, app) =>
        {
            Eligible = phone.IsEligibleForService;
            Status = await StatusOrNullAsync(app, ct);
        }, ct);
}
