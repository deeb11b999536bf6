using System.Net;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;

namespace MobileJpki.Web.Console;

/// <summary>
/// Base of the operator console's pages: the signed-in operator (a page that needs one sends everyone else to the
/// sign-in page), the API over loopback with the operator's token, and the refusal to show.
/// </summary>
public abstract class ConsolePageModel : PageModel
{
    /// <summary>The sign-in page's path.</summary>
    public const string SignInPath = "/console/sign-in";

    /// <summary>The operator of this browser, or null.</summary>
    public OperatorSignedIn? Operator { get; private set; }

    /// <summary>The refusal to show, Japanese and English.</summary>
    public string? Error { get; set; }

    /// <summary>The code of the refusal.</summary>
    public string? ErrorCode { get; set; }

    /// <summary>False for the sign-in page itself.</summary>
    protected virtual bool RequiresOperator => true;

    /// <inheritdoc />
    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        Operator = OperatorCookie.Read(HttpContext);
        if (RequiresOperator && Operator is null)
        {
            context.Result = new RedirectResult(SignInPath);
            return;
        }

        await next();
    }

    /// <summary>A client of the API (loopback, like the CLI's <c>--server</c>).</summary>
    protected ServerApi Api() => HttpContext.RequestServices.GetRequiredService<SimulatorApi>().Create();

    /// <summary>
    /// Shows <paramref name="error"/>; when the API no longer accepts the token (expired, signed out elsewhere) the
    /// cookie is dropped and the result sends the operator to sign in again.
    /// </summary>
    protected IActionResult? Refused(AppException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.HttpStatus == (int)HttpStatusCode.Unauthorized && error.Code == "operator-unauthorized")
        {
            OperatorCookie.Clear(HttpContext);
            return Redirect(SignInPath + "?expired=1");
        }

        Error = ErrorText.Describe(error.Code, error.Message);
        ErrorCode = error.Code;
        return null;
    }
}
