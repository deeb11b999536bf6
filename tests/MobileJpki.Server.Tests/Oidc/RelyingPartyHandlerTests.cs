using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using MobileJpki.App;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests.Oidc;

/// <summary>
/// ASP.NET Core's own OpenIdConnect handler as a real relying party (its own Kestrel host) against the provider over
/// loopback: PKCE, private_key_jwt, state and nonce; the test plays the browser (cookies, redirects) and the phone.
/// </summary>
public class RelyingPartyHandlerTests(OidcProviderFixture provider) : IClassFixture<OidcProviderFixture>
{
    [Fact]
    public async Task SignIn_Basic4ScopesApprovedWithSigningPassword_RelyingPartyGetsExactlyThoseClaims()
    {
        var person = await provider.PersonAsync();
        var claims = await SignInAsync("openid name birthdate", new ApproveOptions { SigningPassword = "PHONE2023" });

        Assert.Equal("デジタル 花子", claims["name"]);
        Assert.Equal("1990-02-03", claims["birthdate"]);
        Assert.Equal("aal3", claims["acr"]);
        Assert.False(claims.ContainsKey("address"));
        Assert.False(claims.ContainsKey("gender"));

        // The subject is opaque: not the person id, and stable for this relying party.
        await using var db = provider.OpenDb();
        Assert.True(MobileJpki.Core.DerCertificate.TryParse(person.Phone.SecureElement.CertificateDer(MobileJpki.Card.PinKind.Signing)!, out var cert));
        var serial = cert!.SerialNumberHex;
        var personId = (await db.Certificates.FirstAsync(c => c.Serial == serial)).PersonId;
        Assert.DoesNotContain(personId.ToString(), claims["sub"], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(personId.ToString("N"), claims["sub"], StringComparison.OrdinalIgnoreCase);
        var usage = await db.Usage.Where(u => u.PersonId == personId && u.Kind == UsageKinds.OidcLogin).ToListAsync();
        Assert.NotEmpty(usage);
    }

    [Fact]
    public async Task SignIn_OpenIdOnlyWithAuthPin_NoBasic4Claims()
    {
        await provider.PersonAsync();
        var claims = await SignInAsync("openid", new ApproveOptions { Pin = "5678" });

        Assert.False(string.IsNullOrEmpty(claims["sub"]));
        Assert.False(claims.ContainsKey("name"));
        Assert.False(claims.ContainsKey("birthdate"));
        Assert.False(claims.ContainsKey("address"));
    }

    [Fact]
    public async Task SignIn_RefusedOnThePhone_RelyingPartyGetsAccessDenied()
    {
        await provider.PersonAsync();
        var (status, body) = await RunAsync("openid", new ApproveOptions { Pin = "5678", Refuse = true });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("access_denied", body, StringComparison.Ordinal);
    }

    /// <summary>Signs in at a fresh relying party host and returns the claims its cookie holds.</summary>
    private async Task<Dictionary<string, string>> SignInAsync(string scope, ApproveOptions approval)
    {
        var (status, body) = await RunAsync(scope, approval);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.StartsWith('{'), body);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private async Task<(HttpStatusCode Status, string Body)> RunAsync(string scope, ApproveOptions approval)
    {
        var person = await provider.PersonAsync();
        var port = FreePort();
        var rpBase = $"http://127.0.0.1:{port}";
        var rp = await provider.RegisterAsync("テスト銀行 / Test Bank", rpBase + "/signin-oidc");
        await using var host = BuildRelyingParty(rpBase, rp, scope);
        await host.StartAsync();

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true });

        // The browser visits the relying party, which redirects it to the provider's authorization page.
        using var page = await browser.GetAsync(rpBase + "/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith(provider.BaseUri.AbsoluteUri + "connect/authorize", page.RequestMessage!.RequestUri!.AbsoluteUri, StringComparison.Ordinal);
        var (code, cont) = OidcProviderFixture.PageParts(await page.Content.ReadAsStringAsync());

        // The person approves on the phone; the page's poll notices and continues.
        await person.App.ApproveAsync(code, approval, CancellationToken.None);
        var linkId = System.Text.RegularExpressions.Regex.Match(cont, "mjpki_link=([0-9a-f-]+)").Groups[1].Value;
        var poll = await provider.Loopback.GetFromJsonAsync<JsonElement>($"/connect/device-links/{linkId}?wait=5");
        Assert.Equal(approval.Refuse ? "refused" : "approved", poll.GetProperty("status").GetString());

        using var done = await browser.GetAsync(new Uri(provider.BaseUri, cont));
        return (done.StatusCode, await done.Content.ReadAsStringAsync());
    }

    private WebApplication BuildRelyingParty(string rpBase, RelyingParty rp, string scope)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(rpBase);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie()
            .AddOpenIdConnect(o =>
            {
                o.Authority = provider.BaseUri.AbsoluteUri;
                o.RequireHttpsMetadata = false;
                o.ClientId = rp.ClientId;
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.Scope.Clear();
                foreach (var s in scope.Split(' '))
                {
                    o.Scope.Add(s);
                }

                o.ClaimActions.Remove("acr");
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.Events.OnRedirectToIdentityProvider = c =>
                {
                    c.ProtocolMessage.AcrValues = "aal3";
                    return Task.CompletedTask;
                };
                o.Events.OnAuthorizationCodeReceived = c =>
                {
                    // private_key_jwt: the handler sends no secret; the assertion proves the client.
                    c.TokenEndpointRequest!.ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
                    c.TokenEndpointRequest.ClientAssertion = provider.Assertion(rp);
                    return Task.CompletedTask;
                };
                o.Events.OnRemoteFailure = c =>
                {
                    c.HandleResponse();
                    c.Response.StatusCode = 200;
                    return c.Response.WriteAsync("remote failure: " + (c.Failure?.Message ?? "?"));
                };
            });
        var app = builder.Build();
        app.UseAuthentication();
        app.MapGet("/", async (HttpContext c) =>
        {
            if (c.User.Identity?.IsAuthenticated != true)
            {
                await c.ChallengeAsync();
                return;
            }

            await c.Response.WriteAsJsonAsync(c.User.Claims.GroupBy(x => x.Type).ToDictionary(g => g.Key, g => g.First().Value));
        });
        return app;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
