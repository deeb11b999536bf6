using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Console;

namespace MobileJpki.Web.Pages.Console;

/// <summary>Supervisor functions of the API: add an account, unlock a locked one. Operators see the API's 403.</summary>
public sealed class OperatorsModel : ConsolePageModel
{
    /// <summary>The new or locked account's name.</summary>
    [BindProperty]
    [StringLength(64)]
    public string? Name { get; set; }

    /// <summary>operator or supervisor.</summary>
    [BindProperty]
    [StringLength(16)]
    public string? Role { get; set; }

    /// <summary>The new account (with its generated password, shown once).</summary>
    public OperatorAddResponse? Added { get; private set; }

    /// <summary>The account just unlocked.</summary>
    public string? Unlocked { get; private set; }

    /// <summary>The forms.</summary>
    public void OnGet()
    {
    }

    /// <summary>POST /api/v1/hotline/operators; the server makes the initial password and shows it once.</summary>
    public async Task<IActionResult> OnPostAddAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            Error = "入力が長すぎます / The input is too long.";
            ErrorCode = "bad-field";
            return Page();
        }

        try
        {
            Added = await Api().SendAsync<OperatorAddResponse>(HttpMethod.Post, "/api/v1/hotline/operators", new OperatorAddRequest(Name?.Trim(), Role, null), Operator!.Token, ct);
        }
        catch (AppException e)
        {
            return Refused(e) ?? Page();
        }

        return Page();
    }

    /// <summary>POST /api/v1/hotline/operators/{name}/unlock.</summary>
    public async Task<IActionResult> OnPostUnlockAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Name))
        {
            Error = "オペレーター名を入力してください / Enter the operator name.";
            ErrorCode = "input-needed";
            return Page();
        }

        try
        {
            await Api().SendAsync<System.Text.Json.JsonElement?>(HttpMethod.Post, $"/api/v1/hotline/operators/{Uri.EscapeDataString(Name.Trim())}/unlock", null, Operator!.Token, ct);
            Unlocked = Name.Trim();
        }
        catch (AppException e)
        {
            return Refused(e) ?? Page();
        }

        return Page();
    }
}
