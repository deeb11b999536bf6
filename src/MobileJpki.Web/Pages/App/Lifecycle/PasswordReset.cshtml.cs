using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Lifecycle;

/// <summary>
/// パスワード初期化 with the card (mjpki app reset-password): the card's auth PIN resets the phone auth PIN, the card's
/// signing password the phone signing password; the SE takes the new one with a full counter.
/// </summary>
public sealed class PasswordResetModel : PhonePageModel
{
    /// <summary>"sign" or "auth".</summary>
    [BindProperty(SupportsGet = true)]
    [StringLength(4)]
    public string? Kind { get; set; }

    [BindProperty]
    [StringLength(16)]
    public string? CardId { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? CardSecret { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? NewPassword { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? NewPasswordConfirmation { get; set; }

    /// <summary>The counters of the phone passwords (tries left, locked).</summary>
    public IReadOnlyList<PasswordRow> Passwords { get; private set; } = [];

    public bool Signing => Kind != "auth";

    public async Task OnGetAsync(CancellationToken ct) =>
        await WithAppAsync((app, _) => { Passwords = Counters(app); return Task.CompletedTask; }, ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ok = await WithAppAsync(
            async (app, _) =>
            {
                Passwords = Counters(app);
                if (!ModelState.IsValid || Kind is not ("sign" or "auth"))
                {
                    throw new AppException("bad-input", "入力を確認してください / Please check your input.");
                }

                if (string.IsNullOrEmpty(CardSecret) || string.IsNullOrEmpty(NewPassword))
                {
                    throw new AppException("input-needed", "カードのパスワード（暗証番号）と新しいパスワードを入力してください / Enter the card's password (PIN) and the new phone password.");
                }

                var card = RequireCard(CardId);
                var kind = Signing ? PinKind.Signing : PinKind.Auth;
                await app.ResetPasswordAsync(
                    card.Applet,
                    new PasswordResetOptions
                    {
                        Kind = kind,
                        CardPassword = Signing ? CardSecret : null,
                        CardPin = Signing ? null : CardSecret,
                        NewPassword = NewPassword,
                        NewPasswordConfirmation = NewPasswordConfirmation ?? string.Empty,
                    },
                    ct);
            },
            ct);
        if (ok)
        {
            return Redirect(PhoneUrl("mypage?done=reset"));
        }

        CardSecret = NewPassword = NewPasswordConfirmation = null;
        return Page();
    }

    private static List<PasswordRow> Counters(PortalApp app) =>
        new[] { PinKind.Signing, PinKind.Auth }
            .Select(k => app.PhonePasswordStatus(k) is { } s ? new PasswordRow(k, s) : null)
            .OfType<PasswordRow>()
            .ToList();
}
