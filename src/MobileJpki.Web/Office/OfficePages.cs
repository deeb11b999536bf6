using MobileJpki.App;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Office;

/// <summary>What the office pages share: how a refusal of the office API is shown.</summary>
public static class OfficePages
{
    /// <summary>
    /// Shows <paramref name="error"/> on <paramref name="page"/>; a refused office key also forgets the remembered
    /// one and says plainly that the key is the problem.
    /// </summary>
    public static void ShowError(SimulatorPageModel page, AppException error)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code == "office-unauthorized")
        {
            OfficeKey.Forget(page.HttpContext);
            page.Error = "窓口APIキーがないか、違います。正しいキーを入力してください / The office API key is missing or wrong; enter the right key.";
            page.ErrorCode = error.Code;
            return;
        }

        page.Error = ErrorText.Describe(error.Code, error.Message);
        page.ErrorCode = error.Code;
    }
}
