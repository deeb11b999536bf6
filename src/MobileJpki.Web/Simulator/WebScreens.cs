using MobileJpki.App;

namespace MobileJpki.Web.Simulator;

/// <summary>
/// The portal app's screens on a web page: what the app shows and its progress are collected for the page to render;
/// the page has already asked for every input (script mode), so a question the app still asks is a bug of the page,
/// not something to answer silently.
/// </summary>
public sealed class WebScreens : IAppScreens
{
    private readonly List<(string Ja, string En, string? Body)> _shown = [];
    private readonly List<(int Percent, string Ja, string En)> _progress = [];

    /// <summary>Screens in the order the app showed them.</summary>
    public IReadOnlyList<(string Ja, string En, string? Body)> Shown => _shown;

    /// <summary>Progress steps in order (card reading, key generation, …).</summary>
    public IReadOnlyList<(int Percent, string Ja, string En)> Steps => _progress;

    public void Show(string titleJa, string titleEn, string? body = null) => _shown.Add((titleJa, titleEn, body));

    public void Progress(int percent, string labelJa, string labelEn) => _progress.Add((percent, labelJa, labelEn));

    public string Ask(string promptJa, string promptEn, bool secret) =>
        throw new AppException("input-needed", $"入力が必要です: {promptJa} / Input needed: {promptEn}");

    public bool Confirm(string promptJa, string promptEn) =>
        throw new AppException("input-needed", $"確認が必要です: {promptJa} / Confirmation needed: {promptEn}");
}
