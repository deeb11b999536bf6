using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.WebEncoders;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Web;

/// <summary>Adds the browser UI (phone-app simulator, operator console, municipal office page) to the server.</summary>
public static class WebUi
{
    private static readonly Assembly Self = typeof(WebUi).Assembly;

    /// <summary>Razor Pages with CSRF protection on every form, and the services the pages use.</summary>
    /// <param name="services">The server's services.</param>
    /// <param name="pki">Where the data directory is.</param>
    /// <param name="simulator">
    /// Sandbox mode: the phone-app simulator (/app) and the counter simulator (/office), which keep virtual cards and
    /// phones on this server's disk for any browser. Outside the sandbox their pages are not routed at all, so no
    /// request can create a workspace, a key or a file; only the operator console remains.
    /// </param>
    public static IServiceCollection AddMobileJpkiWeb(this IServiceCollection services, PkiOptions pki, bool simulator)
    {
        ArgumentNullException.ThrowIfNull(pki);
        services.AddRazorPages(o =>
        {
            o.Conventions.ConfigureFilter(new SecurityHeaders());
            if (!simulator)
            {
                // A page without selectors has no endpoint.
                o.Conventions.AddFolderRouteModelConvention("/App", m => m.Selectors.Clear());
                o.Conventions.AddFolderRouteModelConvention("/Office", m => m.Selectors.Clear());
            }
        });
        services.AddSingleton(new WebUiMode(simulator));

        // Japanese text as text, not as &#x…; entities (the encoder still escapes what HTML needs).
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddHttpContextAccessor();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "mjpki-csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__csrf";
        });

        // Antiforgery and the console's cookies must survive restarts and be shared by the nodes of one data directory.
        // The key files are written unencrypted, so their folder is made 0700 before the key ring writes into it.
        services.AddDataProtection()
            .SetApplicationName("MobileJpki")
            .PersistKeysToFileSystem(PrivateFiles.CreateDirectory(Path.Combine(Path.GetFullPath(pki.DataDirectory), "web-keys")));
        services.AddScoped<UiText>();
        services.AddSingleton<UiRelay>();
        services.AddTransient<UiRelay.Handler>();
        services.AddHttpClient(SimulatorApi.ClientName, c => c.Timeout = TimeSpan.FromSeconds(60)).AddHttpMessageHandler<UiRelay.Handler>();
        services.AddSingleton<SimulatorApi>();
        if (simulator)
        {
            services.AddSingleton<Simulator.SimulatorDevices>();
        }

        return services;
    }

    /// <summary>The pages, the language toggle and the embedded assets (no CDN: everything is served from here).</summary>
    public static IEndpointRouteBuilder MapMobileJpkiWeb(this IEndpointRouteBuilder app)
    {
        app.MapRazorPages();

        app.MapGet("/ui/lang", (HttpContext http, WebUiMode mode, string? to, string? returnUrl) =>
        {
            http.Response.Cookies.Append(UiText.CookieName, to == "en" ? "en" : "ja", new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                IsEssential = true,
                MaxAge = TimeSpan.FromDays(365),
            });

            // Only a path of this site: an open redirect would let anyone bounce people through us.
            return Results.LocalRedirect(IsLocalPath(returnUrl) ? returnUrl! : mode.Simulator ? "/app" : "/console");
        }).ExcludeFromDescription();

        app.MapGet("/ui/assets/{name}", (HttpContext http, string name) =>
        {
            var stream = name.Contains("..", StringComparison.Ordinal) ? null : Self.GetManifestResourceStream("Assets/" + name);
            if (stream is null)
            {
                return Results.NotFound();
            }

            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Stream(stream, ContentTypeOf(name));
        }).ExcludeFromDescription();
        return app;
    }

    /// <summary>Whether the simulator pages are served (sandbox mode).</summary>
    public sealed record WebUiMode(bool Simulator);

    /// <summary>
    /// True for "/…" paths of this site: not "//host" or "/\host", and no control character (browsers drop a tab or a
    /// newline, so "/\t/host" would become "//host"; LocalRedirect would refuse it with a 500).
    /// </summary>
    public static bool IsLocalPath(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && url.Length <= 512
        && !url.Any(char.IsControl);

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    /// <summary>Every page: only our own scripts, styles and images; never framed (clickjacking on a PIN form); no referrer leaks.</summary>
    private sealed class SecurityHeaders : IResultFilter
    {
        public void OnResultExecuting(ResultExecutingContext context)
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.CacheControl = "no-store";
        }

        public void OnResultExecuted(ResultExecutedContext context)
        {
        }
    }
}
