using Microsoft.AspNetCore.Http;

namespace MobileJpki.Web;

/// <summary>
/// The page language: Japanese unless the person chose English with the toggle (a cookie). Every text is written in
/// both; <see cref="T"/> picks one, <see cref="Both"/> shows both (error messages, which must be understood either way).
/// </summary>
public sealed class UiText(IHttpContextAccessor accessor)
{
    /// <summary>The cookie that remembers the choice ("en" or "ja").</summary>
    public const string CookieName = "mjpki-lang";

    /// <summary>True when the page is shown in English.</summary>
    public bool English => IsEnglish(accessor.HttpContext);

    /// <summary>The BCP 47 tag for the html element.</summary>
    public string Tag => English ? "en" : "ja";

    /// <summary>The text in the page's language.</summary>
    public string T(string ja, string en) => English ? en : ja;

    /// <summary>Both texts, the chosen language first ("…／…").</summary>
    public string Both(string ja, string en) => English ? $"{en} / {ja}" : $"{ja} / {en}";

    /// <summary>True when <paramref name="context"/> carries the English choice.</summary>
    public static bool IsEnglish(HttpContext? context) =>
        context is not null && context.Request.Cookies.TryGetValue(CookieName, out var value) && value == "en";
}
