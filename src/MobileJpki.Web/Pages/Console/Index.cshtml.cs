using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Console;

namespace MobileJpki.Web.Pages.Console;

/// <summary>
/// The console's main screen: find a caller by name and birth date (and address), see the API's masked view, and put
/// their phone certificates on hold (一時利用停止) with a reason, after a confirmation step.
/// </summary>
public sealed class IndexModel : ConsolePageModel
{
    /// <summary>Most a reason may be (the API's limit).</summary>
    public const int MaxReason = 200;

    /// <summary>The caller's name (氏名).</summary>
    [BindProperty]
    [StringLength(100)]
    public string? Name { get; set; }

    /// <summary>The caller's birth date, YYYY-MM-DD.</summary>
    [BindProperty]
    [StringLength(10)]
    public string? BirthDate { get; set; }

    /// <summary>The caller's address (optional, narrows the search).</summary>
    [BindProperty]
    [StringLength(200)]
    public string? Address { get; set; }

    /// <summary>The person to suspend (from a search result).</summary>
    [BindProperty]
    [StringLength(36)]
    public string? PersonId { get; set; }

    /// <summary>Why (required, at most 200 characters).</summary>
    [BindProperty]
    [StringLength(MaxReason + 50)]
    public string? Reason { get; set; }

    /// <summary>The API's masked matches, after a search.</summary>
    public IReadOnlyList<PersonMatchView>? Matches { get; private set; }

    /// <summary>The person and reason waiting for confirmation.</summary>
    public bool Confirming { get; private set; }

    /// <summary>What the suspension changed.</summary>
    public HotlineSuspendResponse? Suspended { get; private set; }

    /// <summary>The search form.</summary>
    public void OnGet()
    {
    }

    /// <summary>POST /api/v1/hotline/person-searches: the facts stay out of URLs.</summary>
    public async Task<IActionResult> OnPostSearchAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Name) || string.IsNullOrWhiteSpace(BirthDate))
        {
            Error = "氏名と生年月日を入力してください（氏名100文字・住所200文字まで） / Enter the name and birth date (name up to 100, address up to 200 characters).";
            ErrorCode = "input-needed";
            return Page();
        }

        try
        {
            Matches = await Api().SendAsync<PersonMatchView[]>(
                HttpMethod.Post,
                "/api/v1/hotline/person-searches",
                new PersonSearch(Name.Trim(), BirthDate.Trim(), string.IsNullOrWhiteSpace(Address) ? null : Address.Trim()),
                Operator!.Token,
                ct);
        }
        catch (AppException e)
        {
            return Refused(e) ?? Page();
        }

        return Page();
    }

    /// <summary>Step 1 of suspending: the reason is checked, then the operator confirms.</summary>
    public IActionResult OnPostConfirm()
    {
        if (!CheckSuspendInput())
        {
            return Page();
        }

        Confirming = true;
        return Page();
    }

    /// <summary>Step 2: POST /api/v1/hotline/persons/{id}/suspension with the reason; the API audits it.</summary>
    public async Task<IActionResult> OnPostSuspendAsync(CancellationToken ct)
    {
        // Only the id is checked here: the reason's rules are the API's (and its refusal is what the page shows).
        if (!Guid.TryParse(PersonId, out _))
        {
            Error = "対象の方をもう一度検索してください / Search for the person again.";
            ErrorCode = "bad-field";
            PersonId = null;
            return Page();
        }

        try
        {
            Suspended = await Api().SendAsync<HotlineSuspendResponse>(
                HttpMethod.Post,
                $"/api/v1/hotline/persons/{Uri.EscapeDataString(PersonId!)}/suspension",
                new HotlineSuspendRequest(Reason),
                Operator!.Token,
                ct);
        }
        catch (AppException e)
        {
            return Refused(e) ?? Page();
        }

        return Page();
    }

    private bool CheckSuspendInput()
    {
        if (!Guid.TryParse(PersonId, out _))
        {
            Error = "対象の方をもう一度検索してください / Search for the person again.";
            ErrorCode = "bad-field";
            PersonId = null;
            return false;
        }

        if (string.IsNullOrWhiteSpace(Reason))
        {
            Error = "一時利用停止の理由を入力してください / A reason is required.";
            ErrorCode = "reason-required";
            return false;
        }

        if (Reason.Trim().Length > MaxReason || Reason.Any(char.IsControl))
        {
            Error = $"理由は改行なしの{MaxReason}文字以内です / The reason must be at most {MaxReason} characters on one line.";
            ErrorCode = "bad-reason";
            return false;
        }

        return true;
    }
}
