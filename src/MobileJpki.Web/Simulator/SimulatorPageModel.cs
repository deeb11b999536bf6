using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Pki;

namespace MobileJpki.Web.Simulator;

/// <summary>
/// Base of the simulator's pages: the browser's own <see cref="SimulatorWorkspace"/>, and the refusal to show. A page
/// catches <see cref="AppException"/> (the API's problem+json or the app's own checks), sets <see cref="Error"/> and
/// shows the form again with what was typed, passwords excepted.
/// </summary>
public abstract class SimulatorPageModel : PageModel
{
    private SimulatorWorkspace? _workspace;

    /// <summary>This browser's workspace (cookie set on first use).</summary>
    public SimulatorWorkspace Workspace =>
        _workspace ??= SimulatorWorkspace.For(HttpContext, HttpContext.RequestServices.GetRequiredService<PkiOptions>().DataDirectory);

    /// <summary>The refusal to show, Japanese and English (as the API and the app word them).</summary>
    public string? Error { get; set; }

    /// <summary>The code of the refusal (for tests and for pages that react to one).</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Records <paramref name="error"/> for the page.</summary>
    protected void ShowError(AppException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = ErrorText.Describe(error.Code, error.Message);
        ErrorCode = error.Code;
    }
}
