using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Web.Console;

/// <summary>The signed-in operator as the console knows it: the API's bearer token, name and role.</summary>
public sealed record OperatorSignedIn(string Token, string Name, string Role, DateTimeOffset ExpiresAt)
{
    /// <summary>True for a supervisor (the API decides; this only chooses which links to show).</summary>
    public bool IsSupervisor => Role == "supervisor";
}

/// <summary>
/// Keeps the operator's bearer token in an HttpOnly, SameSite=Strict cookie encrypted and authenticated with ASP.NET
/// Data Protection: script cannot read it, another site cannot send it, and a tampered or foreign cookie is ignored.
/// The token never appears in a URL, a form or the page.
/// </summary>
public static class OperatorCookie
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "mjpki-op";

    private const string Purpose = "MobileJpki.Web.Console.OperatorSession.v1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The operator signed in on this browser, or null.</summary>
    public static OperatorSignedIn? Read(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value) || value.Length > 4096)
        {
            return null;
        }

        try
        {
            var json = Protector(context).Unprotect(value);
            return JsonSerializer.Deserialize<OperatorSignedIn>(json, Json);
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            // A cookie from an old key ring or someone else's hand: treat as signed out.
            return null;
        }
    }

    /// <summary>Remembers <paramref name="session"/> until it expires.</summary>
    public static void Write(HttpContext context, OperatorSessionView session)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        var value = Protector(context).Protect(JsonSerializer.Serialize(new OperatorSignedIn(session.Token, session.Name, session.Role, session.ExpiresAt), Json));
        context.Response.Cookies.Append(CookieName, value, Options(context));
    }

    /// <summary>Forgets the operator (sign-out, or a token the API no longer accepts).</summary>
    public static void Clear(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Delete(CookieName, Options(context));
    }

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        IsEssential = true,
        Path = "/console",
    };

    private static IDataProtector Protector(HttpContext context) =>
        context.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
}
