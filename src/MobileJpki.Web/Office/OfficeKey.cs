using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MobileJpki.Web.Office;

/// <summary>
/// The office API key (Office:ApiKey) as the counter page handles it: asked only when the server has one, used for
/// the request, and — when the clerk asks — remembered in an HttpOnly, SameSite=Strict cookie encrypted with ASP.NET
/// Data Protection (never in a hidden field, a URL or the page).
/// </summary>
public static class OfficeKey
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "mjpki-office";

    /// <summary>Longest key the page accepts.</summary>
    public const int MaxLength = 256;

    private const string Purpose = "MobileJpki.Web.Office.ApiKey.v1";

    /// <summary>True when the server's office API needs a key (outside the open sandbox).</summary>
    public static bool Required(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !string.IsNullOrEmpty(context.RequestServices.GetRequiredService<IConfiguration>()["Office:ApiKey"]);
    }

    /// <summary>True when this browser has a remembered key.</summary>
    public static bool Remembered(HttpContext context) => Read(context) is not null;

    /// <summary>
    /// The key for this request: what was typed (remembered when <paramref name="remember"/>), else the remembered
    /// one, else null (the open sandbox, or the API will refuse and the page says so).
    /// </summary>
    public static string? Resolve(HttpContext context, string? typed, bool remember)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.IsNullOrEmpty(typed) && typed.Length <= MaxLength)
        {
            if (remember)
            {
                context.Response.Cookies.Append(CookieName, Protector(context).Protect(typed), Options(context));
            }

            return typed;
        }

        return Read(context);
    }

    /// <summary>Forgets the remembered key (and after the API refused it).</summary>
    public static void Forget(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Delete(CookieName, Options(context));
    }

    private static string? Read(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value) || value.Length > 2048)
        {
            return null;
        }

        try
        {
            return Protector(context).Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        IsEssential = true,
        Path = "/office",
        MaxAge = TimeSpan.FromHours(8),
    };

    private static IDataProtector Protector(HttpContext context) =>
        context.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
}
