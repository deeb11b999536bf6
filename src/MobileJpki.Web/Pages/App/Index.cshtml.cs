using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Device;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App;

/// <summary>/app: this browser's virtual phones and cards; make a phone of a chosen model or have a card issued.</summary>
public sealed class IndexModel(SimulatorDevices devices) : SimulatorPageModel
{
    /// <summary>The phones of this browser.</summary>
    public IReadOnlyList<PhoneEntry> Phones { get; private set; } = [];

    /// <summary>The cards of this browser.</summary>
    public IReadOnlyList<CardEntry> Cards { get; private set; } = [];

    /// <summary>The model of a new phone.</summary>
    [BindProperty]
    [StringLength(40)]
    public string? ModelId { get; set; }

    /// <summary>氏名.</summary>
    [BindProperty]
    [StringLength(100)]
    public string? Name { get; set; }

    /// <summary>生年月日 (yyyy-MM-dd).</summary>
    [BindProperty]
    [StringLength(10)]
    public string? BirthDate { get; set; }

    /// <summary>性別: male, female or other.</summary>
    [BindProperty]
    [StringLength(10)]
    public string? Gender { get; set; }

    /// <summary>住所.</summary>
    [BindProperty]
    [StringLength(200)]
    public string? Address { get; set; }

    /// <summary>The card's signing password (never shown back).</summary>
    [BindProperty]
    [StringLength(64)]
    public string? SigningPassword { get; set; }

    /// <summary>The card's 4-digit PIN (never shown back).</summary>
    [BindProperty]
    [StringLength(16)]
    public string? AuthPin { get; set; }

    /// <summary>What was just made (for the confirmation line).</summary>
    public string? Done { get; private set; }

    /// <summary>True when the refusal was the office's key: the office page issues cards with it.</summary>
    public bool NeedsOffice => ErrorCode is "office-unauthorized" or "http-401" or "http-403";

    public void OnGet() => Load();

    public IActionResult OnPostPhone()
    {
        if (!ModelState.IsValid || string.IsNullOrEmpty(ModelId))
        {
            ShowError(new AppException("bad-model", "機種を選んでください / Choose a phone model."));
            Load();
            return Page();
        }

        try
        {
            var phone = devices.CreatePhone(Workspace, ModelId);
            return Redirect($"/app/phones/{phone.Id}");
        }
        catch (AppException e)
        {
            ShowError(e);
            Load();
            return Page();
        }
    }

    public async Task<IActionResult> OnPostCardAsync(CancellationToken ct)
    {
        try
        {
            if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(BirthDate) || string.IsNullOrWhiteSpace(Address) || Gender is not ("male" or "female" or "other"))
            {
                throw new AppException("bad-field", "氏名・生年月日・性別・住所を入力してください / Enter the name, date of birth, gender and address.");
            }

            using (await Workspace.LockAsync(ct))
            {
                var card = await devices.IssueCardAsync(Workspace, new CardIssueForm(Name.Trim(), BirthDate, Gender, Address.Trim(), SigningPassword ?? string.Empty, AuthPin ?? string.Empty), null, ct);
                Done = card.Label;
                Name = BirthDate = Address = Gender = null;
            }
        }
        catch (AppException e)
        {
            ShowError(e);
        }

        SigningPassword = AuthPin = null;
        Load();
        return Page();
    }

    private void Load()
    {
        Phones = devices.ListPhones(Workspace);
        Cards = devices.ListCards(Workspace);
    }

    /// <summary>The models to choose from, supported ones first.</summary>
    public static IEnumerable<PhoneModel> Models => PhoneModels.All.OrderByDescending(m => m.Supported);
}
