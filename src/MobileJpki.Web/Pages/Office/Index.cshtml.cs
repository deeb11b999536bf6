using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Pki;
using MobileJpki.Web.Office;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.Office;

/// <summary>市区町村窓口: issues a virtual My Number Card into this browser's workspace, and lists its cards.</summary>
public sealed class IndexModel(SimulatorDevices devices) : SimulatorPageModel
{
    /// <summary>氏名.</summary>
    [BindProperty]
    [StringLength(100)]
    public string? Name { get; set; }

    /// <summary>生年月日, YYYY-MM-DD.</summary>
    [BindProperty]
    [StringLength(10)]
    public string? BirthDate { get; set; }

    /// <summary>性別: male, female or other.</summary>
    [BindProperty]
    [StringLength(8)]
    public string? Gender { get; set; }

    /// <summary>住所.</summary>
    [BindProperty]
    [StringLength(200)]
    public string? Address { get; set; }

    /// <summary>The card's signing password (never echoed).</summary>
    [BindProperty]
    [StringLength(64)]
    public string? SigningPassword { get; set; }

    /// <summary>The card's 4-digit auth PIN (never echoed).</summary>
    [BindProperty]
    [StringLength(16)]
    public string? AuthPin { get; set; }

    /// <summary>The office API key, when the server has one (never echoed).</summary>
    [BindProperty]
    [StringLength(OfficeKey.MaxLength)]
    public string? OfficeApiKey { get; set; }

    /// <summary>Remember the key in the protected cookie.</summary>
    [BindProperty]
    public bool RememberKey { get; set; }

    /// <summary>This browser's cards.</summary>
    public IReadOnlyList<CardEntry> Cards { get; private set; } = [];

    /// <summary>The card just issued.</summary>
    public CardEntry? Issued { get; private set; }

    /// <summary>The form and the list.</summary>
    public void OnGet() => Cards = devices.ListCards(Workspace);

    /// <summary>Issues the card through the office API and keeps it in this browser.</summary>
    public async Task<IActionResult> OnPostIssueAsync(CancellationToken ct)
    {
        var signing = SigningPassword ?? string.Empty;
        var pin = AuthPin ?? string.Empty;
        var typedKey = OfficeApiKey;
        SigningPassword = AuthPin = OfficeApiKey = null;
        if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(BirthDate) || string.IsNullOrWhiteSpace(Address) || string.IsNullOrEmpty(Gender))
        {
            Error = "氏名・生年月日・性別・住所を入力してください（氏名100文字・住所200文字まで） / Enter the name, birth date, gender and address (name up to 100, address up to 200 characters).";
            ErrorCode = "input-needed";
            Cards = devices.ListCards(Workspace);
            return Page();
        }

        try
        {
            var key = OfficeKey.Resolve(HttpContext, typedKey, RememberKey);
            using (await Workspace.LockAsync(ct))
            {
                Issued = await devices.IssueCardAsync(Workspace, new CardIssueForm(Name.Trim(), BirthDate.Trim(), Gender, Address.Trim(), signing, pin), key, ct);
            }

            Name = BirthDate = Gender = Address = null;
        }
        catch (AppException e)
        {
            OfficePages.ShowError(this, e);
        }

        Cards = devices.ListCards(Workspace);
        return Page();
    }
}
