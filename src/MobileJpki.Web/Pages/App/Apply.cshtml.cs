using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App;

/// <summary>
/// /app/phones/{phoneId}/apply: 利用申請 screen by screen as in the seed. Earlier steps carry only the non-secret
/// choices (kinds, 確認しました) in the form; the last form sends the card and its password with the new phone passwords
/// and the e-mail, and the portal app reads the card, makes the keys in the SE and submits the signed application.
/// </summary>
public sealed class ApplyModel : PhoneScreenModel
{
    /// <summary>The screen to show: about, kinds, confirm, card or done.</summary>
    public string Step { get; private set; } = "about";

    /// <summary>Apply for the signing certificate.</summary>
    [BindProperty]
    public bool Signing { get; set; }

    /// <summary>Apply for the user authentication certificate.</summary>
    [BindProperty]
    public bool Auth { get; set; }

    /// <summary>確認しました.</summary>
    [BindProperty]
    public bool Confirmed { get; set; }

    /// <summary>Which of this browser's cards is held to the phone.</summary>
    [BindProperty]
    [StringLength(16)]
    public string? CardId { get; set; }

    /// <summary>The card's signing password (only in the last form; never shown back).</summary>
    [BindProperty]
    [StringLength(64)]
    public string? CardPassword { get; set; }

    /// <summary>The new phone signing password.</summary>
    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPassword { get; set; }

    /// <summary>Its confirmation.</summary>
    [BindProperty]
    [StringLength(64)]
    public string? NewSigningPasswordConfirmation { get; set; }

    /// <summary>The new phone auth PIN (4 digits).</summary>
    [BindProperty]
    [StringLength(16)]
    public string? NewAuthPin { get; set; }

    /// <summary>Its confirmation.</summary>
    [BindProperty]
    [StringLength(16)]
    public string? NewAuthPinConfirmation { get; set; }

    /// <summary>Where to send the notice by e-mail as well (optional).</summary>
    [BindProperty]
    [StringLength(254)]
    public string? Email { get; set; }

    /// <summary>This browser's cards, for the card step.</summary>
    public IReadOnlyList<CardEntry> Cards { get; private set; } = [];

    /// <summary>True when the phone cannot hold the certificates.</summary>
    public bool Unsupported { get; private set; }

    /// <summary>The server's receipt once applied.</summary>
    public ApplicationReceipt? Receipt { get; private set; }

    /// <summary>The app's progress while it read the card (shown on the completion screen).</summary>
    public IReadOnlyList<(int Percent, string Ja, string En)> Steps { get; private set; } = [];

    /// <summary>"sign" or "auth" when My Page asked for the one kind the phone lacks; otherwise both are ticked.</summary>
    [BindProperty(SupportsGet = true, Name = "kinds")]
    [StringLength(8)]
    public string? Preset { get; set; }

    public Task OnGetAsync(CancellationToken ct) => ShowAsync("about", ct);

    /// <summary>登録する on スマホ搭載でできること: both kinds are ticked, unless My Page asked for one.</summary>
    public Task OnPostRegisterAsync(CancellationToken ct)
    {
        Signing = Preset != "auth";
        Auth = Preset != "sign";
        return ShowAsync("kinds", ct);
    }

    public Task OnPostKindsAsync(CancellationToken ct)
    {
        if (!Signing && !Auth)
        {
            ShowError(new AppException("bad-kinds", "申請する電子証明書を1つ以上選んでください / Choose at least one certificate."));
            return ShowAsync("kinds", ct);
        }

        return ShowAsync("confirm", ct);
    }

    public Task OnPostConfirmAsync(CancellationToken ct)
    {
        if (!Signing && !Auth)
        {
            return ShowAsync("kinds", ct);
        }

        if (!Confirmed)
        {
            ShowError(new AppException("not-confirmed", "「確認しました」にチェックしてください / Tick \"I confirm\" to apply."));
            return ShowAsync("confirm", ct);
        }

        return ShowAsync("card", ct);
    }

    public async Task OnPostSubmitAsync(CancellationToken ct)
    {
        var screens = new WebScreens();
        Step = "card";
        await WithPhoneAsync(screens, async (phone, app) =>
        {
            Cards = Devices.ListCards(Workspace);
            Unsupported = !phone.IsEligibleForService;
            if (!ModelState.IsValid)
            {
                throw new AppException("bad-field", "入力が長すぎます / An entry is too long.");
            }

            if (!Confirmed || (!Signing && !Auth))
            {
                Step = Confirmed ? "kinds" : "confirm";
                throw new AppException("not-confirmed", "「確認しました」にチェックしてください / Tick \"I confirm\" to apply.");
            }

            var card = Devices.OpenCard(Workspace, CardId)
                ?? throw new AppException("choose-card", "読み取るマイナンバーカードを選んでください / Choose the My Number Card to read.");
            if (string.IsNullOrEmpty(CardPassword))
            {
                throw new AppException("bad-card-password", "マイナンバーカードの署名用電子証明書のパスワードを入力してください / Enter the card's signing password.");
            }

            var kinds = new List<Hierarchy>();
            if (Signing)
            {
                kinds.Add(Hierarchy.Signing);
            }

            if (Auth)
            {
                kinds.Add(Hierarchy.Auth);
            }

            Receipt = await app.ApplyAsync(card.Applet, new ApplyOptions
            {
                CardPassword = CardPassword,
                Kinds = kinds,
                NewSigningPassword = Signing ? NewSigningPassword ?? string.Empty : null,
                NewSigningPasswordConfirmation = Signing ? NewSigningPasswordConfirmation ?? string.Empty : null,
                NewAuthPin = Auth ? NewAuthPin ?? string.Empty : null,
                NewAuthPinConfirmation = Auth ? NewAuthPinConfirmation ?? string.Empty : null,
                Email = string.IsNullOrWhiteSpace(Email) ? null : Email.Trim(),
                Confirmed = true,
            }, ct);
            Step = "done";
        }, ct);

        // Whatever happened, the secrets go no further than this request.
        CardPassword = NewSigningPassword = NewSigningPasswordConfirmation = NewAuthPin = NewAuthPinConfirmation = null;
        Steps = screens.Steps;
    }

    private async Task ShowAsync(string step, CancellationToken ct)
    {
        Step = step;
        await WithPhoneAsync(new WebScreens(), (phone, _) =>
        {
            Unsupported = !phone.IsEligibleForService;
            Cards = Devices.ListCards(Workspace);
            return Task.CompletedTask;
        }, ct);
    }
}
