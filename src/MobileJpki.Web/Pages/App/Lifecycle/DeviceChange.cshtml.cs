using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Lifecycle;

/// <summary>
/// 機種変更に伴う引継ぎ, started on the NEW phone (mjpki app change-device --yes): after the warning and an explicit
/// agreement, the same steps as 利用申請; on issue the old phone's certificates are revoked.
/// </summary>
public sealed class DeviceChangeModel : PhonePageModel
{
    /// <summary>The person agreed that the old phone's certificates will be revoked.</summary>
    [BindProperty]
    public bool ConfirmRevokeOldPhone { get; set; }

    [BindProperty]
    [StringLength(16)]
    public string? CardId { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? CardPassword { get; set; }

    /// <summary>"sign" and/or "auth"; both are ticked when the page opens.</summary>
    [BindProperty]
    [MaxLength(2)]
    public string[] Kinds { get; set; } = [];

    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPassword { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPasswordConfirmation { get; set; }

    [BindProperty]
    [StringLength(16)]
    public string? NewAuthPin { get; set; }

    [BindProperty]
    [StringLength(16)]
    public string? NewAuthPinConfirmation { get; set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Kinds = ["sign", "auth"];
        await FindPhoneAsync(ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(
            async (app, _) =>
            {
                if (!ModelState.IsValid || Kinds.Length == 0 || Kinds.Any(k => k is not ("sign" or "auth")))
                {
                    throw new AppException("bad-kinds", "引き継ぐ電子証明書を選んでください / Choose the certificates to move to this phone.");
                }

                if (!ConfirmRevokeOldPhone)
                {
                    throw new AppException("not-confirmed", $"古いスマホの電子証明書が失効することを確認してチェックしてください。{PortalApp.DeviceChangeWarningJa} / Tick the box to agree: {PortalApp.DeviceChangeWarningEn}");
                }

                var sign = Kinds.Contains("sign");
                var auth = Kinds.Contains("auth");
                if (string.IsNullOrEmpty(CardPassword) || (sign && string.IsNullOrEmpty(NewSigningPassword)) || (auth && string.IsNullOrEmpty(NewAuthPin)))
                {
                    throw new AppException("input-needed", "カードのパスワードと新しいパスワードを入力してください / Enter the card password and the new phone passwords.");
                }

                var card = RequireCard(CardId);
                await app.ChangeDeviceAsync(
                    card.Applet,
                    new ApplyOptions
                    {
                        CardPassword = CardPassword,
                        Kinds = [.. (sign ? new[] { Hierarchy.Signing } : []), .. (auth ? new[] { Hierarchy.Auth } : [])],
                        NewSigningPassword = sign ? NewSigningPassword : null,
                        NewSigningPasswordConfirmation = sign ? NewSigningPasswordConfirmation ?? string.Empty : null,
                        NewAuthPin = auth ? NewAuthPin : null,
                        NewAuthPinConfirmation = auth ? NewAuthPinConfirmation ?? string.Empty : null,
                        Confirmed = true,
                        ConfirmRevokeOldPhone = true,
                    },
                    ct);
            },
            ct);
        if (ok)
        {
            return Redirect(PhoneUrl("wait"));
        }

        CardPassword = NewSigningPassword = NewSigningPasswordConfirmation = NewAuthPin = NewAuthPinConfirmation = null;
        return Page();
    }
}
