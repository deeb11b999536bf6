using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Lifecycle;

/// <summary>
/// 一時利用停止の解除 (mjpki app resume): the auth certificate is good again; for the signing certificate the SE makes a
/// new key, the card signs the application, and after the notification it is registered again (利用登録).
/// </summary>
public sealed class ResumeModel : PhonePageModel
{
    [BindProperty]
    [StringLength(16)]
    public string? CardId { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? CardPassword { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPassword { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPasswordConfirmation { get; set; }

    /// <summary>The server's answer once resumed.</summary>
    public LifecycleReceipt? Receipt { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await FindPhoneAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await WithAppAsync(
            async (app, _) =>
            {
                if (!ModelState.IsValid)
                {
                    throw new AppException("bad-input", "入力が長すぎます / An input is too long.");
                }

                if (string.IsNullOrEmpty(CardPassword) || string.IsNullOrEmpty(NewSigningPassword))
                {
                    throw new AppException("input-needed", "カードのパスワードと新しいパスワードを入力してください / Enter the card password and the new phone signing password.");
                }

                var card = RequireCard(CardId);
                Receipt = await app.ResumeAsync(
                    card.Applet,
                    new ResumeOptions { CardPassword = CardPassword, NewSigningPassword = NewSigningPassword, NewSigningPasswordConfirmation = NewSigningPasswordConfirmation ?? string.Empty },
                    ct);
            },
            ct);

        // Passwords are never sent back to the page.
        CardPassword = NewSigningPassword = NewSigningPasswordConfirmation = null;
        return Page();
    }
}
