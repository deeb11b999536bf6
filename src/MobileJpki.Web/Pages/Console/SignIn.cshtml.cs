using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Console;

namespace MobileJpki.Web.Pages.Console;

/// <summary>Operator sign-in and sign-out (POST /api/v1/hotline/sessions over loopback).</summary>
public sealed class SignInModel : ConsolePageModel
{
    /// <summary>The operator's name (kept after a refusal).</summary>
    [BindProperty]
    [StringLength(64)]
    public string? Name { get; set; }

    /// <summary>The password: never echoed back.</summary>
    [BindProperty]
    [StringLength(256)]
    public string? Password { get; set; }

    /// <summary>True when the last session ended (expired or signed out).</summary>
    public bool Expired { get; private set; }

    /// <summary>True right after signing out.</summary>
    public bool SignedOut { get; private set; }

    /// <inheritdoc />
    protected override bool RequiresOperator => false;

    /// <summary>The form; an operator already signed in goes to the console.</summary>
    public IActionResult OnGet(string? expired, string? signedOut)
    {
        if (Operator is not null)
        {
            return Redirect("/console");
        }

        Expired = expired == "1";
        SignedOut = signedOut == "1";
        return Page();
    }

    /// <summary>Signs in; the token goes into the protected cookie only.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var password = Password;
        Password = null;
        if (!ModelState.IsValid || string.IsNullOrWhiteSpace(Name) || string.IsNullOrEmpty(password))
        {
            Error = "オペレーター名とパスワードを入力してください / Enter the operator name and password.";
            ErrorCode = "input-needed";
            return Page();
        }

        try
        {
            var session = await Api().SendAsync<OperatorSessionView>(HttpMethod.Post, "/api/v1/hotline/sessions", new OperatorSignIn(Name.Trim(), password), null, ct);
            OperatorCookie.Write(HttpContext, session);
            return Redirect("/console");
        }
        catch (AppException e)
        {
            // A wrong password is a 401 here, not an expired session: show it, keep the name.
            Error = ErrorText.Describe(e.Code, e.Message);
            ErrorCode = e.Code;
            return Page();
        }
    }

    /// <summary>Signs out: the cookie is dropped (the API session ends with its lifetime).</summary>
    public IActionResult OnPostSignOut()
    {
        OperatorCookie.Clear(HttpContext);
        return Redirect(SignInPath + "?signedOut=1");
    }
}
