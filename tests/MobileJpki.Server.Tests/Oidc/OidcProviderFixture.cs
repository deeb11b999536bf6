using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Storage;

namespace MobileJpki.Server.Tests.Oidc;

/// <summary>
/// The real server on Kestrel over loopback (so a real relying party can reach its discovery, JWKS and token
/// endpoints), with one registered person and helpers to play the browser, the phone and a relying party by hand.
/// </summary>
public class OidcProviderFixture : MjpkiServer
{
    private readonly SemaphoreSlim _personLock = new(1, 1);
    private Person? _person;

    public OidcProviderFixture()
        : this(StorageProvider.Sqlite)
    {
    }

    protected OidcProviderFixture(StorageProvider provider)
        : base(provider)
    {
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        StartServer();
        BaseUri = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
        Loopback = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseUri };
    }

    /// <summary>http://127.0.0.1:PORT/ of the provider.</summary>
    public Uri BaseUri { get; }

    /// <summary>A plain client over loopback (no redirects followed).</summary>
    public HttpClient Loopback { get; }

    public string Origin => DeviceLinkMessage.OriginOf(BaseUri);

    /// <summary>The person every test of a class shares: card, phone with both certificates registered, and its app.</summary>
    public async Task<Person> PersonAsync()
    {
        await _personLock.WaitAsync();
        try
        {
            return _person ??= await NewPersonAsync("デジタル 花子", "1990-02-03", "female", "東京都千代田区霞が関1-1");
        }
        finally
        {
            _personLock.Release();
        }
    }

    public async Task<Person> NewPersonAsync(string name, string birth, string gender, string address)
    {
        var card = await IssueCardAsync(name, birth, gender, address);
        var phone = NewPhone();
        var app = NewApp(phone, client: PhoneClient());
        await ApplyAndRegisterAsync(app, card);
        return new Person(card, phone, app);
    }

    /// <summary>A phone app talking to the provider over loopback (the origin it signs is the provider's).</summary>
    public HttpClient PhoneClient() => new() { BaseAddress = BaseUri };

    /// <summary>Registers a relying party with a fresh RSA key; returns its client id and key.</summary>
    public async Task<RelyingParty> RegisterAsync(string name, params string[] redirectUris)
    {
        var key = RSA.Create(2048);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.ExportParameters(false)) { KeyId = "k1" });
        var jwks = JsonSerializer.SerializeToElement(new { keys = new[] { new { kty = jwk.Kty, n = jwk.N, e = jwk.E, kid = jwk.Kid, use = "sig", alg = "RS256" } } });
        var view = await new ServerApi(PhoneClient()).RegisterRelyingPartyAsync(new RelyingPartyRegistration(name, redirectUris, jwks), null, CancellationToken.None);
        return new RelyingParty(view.ClientId, key, redirectUris[0]);
    }

    /// <summary>A private_key_jwt client assertion (RFC 7523) for the token endpoint.</summary>
    public string Assertion(RelyingParty rp, RSA? key = null, string? audience = null, TimeSpan? lifetime = null, DateTime? notBefore = null)
    {
        var now = notBefore ?? TimeProvider.System.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "client-authentication+jwt",
            Issuer = rp.ClientId,
            Audience = audience ?? BaseUri.AbsoluteUri,
            Claims = new Dictionary<string, object> { ["sub"] = rp.ClientId, ["jti"] = Guid.NewGuid().ToString("N") },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(2)),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? rp.Key) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The authorization request's URL with PKCE S256, state and nonce (each can be left out with null).</summary>
    public static string AuthorizeUrl(RelyingParty rp, string scope, string? verifier, string? state = "st-1", string? nonce = "n-1", string? redirectUri = null, string? method = "S256")
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = rp.ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri ?? rp.RedirectUri,
            ["scope"] = scope,
        };
        if (verifier is not null)
        {
            query["code_challenge"] = method == "plain" ? verifier : Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
            query["code_challenge_method"] = method;
        }

        if (state is not null)
        {
            query["state"] = state;
        }

        if (nonce is not null)
        {
            query["nonce"] = nonce;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", query);
    }

    /// <summary>Opens the authorization page: its code and continuation URL.</summary>
    public async Task<(string Code, string Continue)> OpenPageAsync(string authorizeUrl)
    {
        using var response = await Loopback.GetAsync(authorizeUrl);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return PageParts(html);
    }

    public static (string Code, string Continue) PageParts(string html)
    {
        var code = Regex.Match(html, "data-code=\"([^\"]+)\"").Groups[1].Value;
        var cont = WebUtility.HtmlDecode(Regex.Match(html, "data-continue=\"([^\"]+)\"").Groups[1].Value);
        Assert.Matches("^[0-9A-Z]{4}-[0-9A-Z]{4}$", code);
        return (code, cont);
    }

    /// <summary>Browser, phone, continuation: the authorization code the relying party receives at its redirect URI.</summary>
    public async Task<string> AuthorizationCodeAsync(RelyingParty rp, Person person, string scope, string verifier, ApproveOptions? approval = null)
    {
        var (code, cont) = await OpenPageAsync(AuthorizeUrl(rp, scope, verifier));
        await person.App.ApproveAsync(code, approval ?? new ApproveOptions { Pin = "5678" }, CancellationToken.None);
        using var response = await Loopback.GetAsync(cont);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("st-1", query["state"].ToString());
        return query["code"].ToString();
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(RelyingParty rp, string code, string verifier, string? assertion = null, string? redirectUri = null)
    {
        using var response = await Loopback.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri ?? rp.RedirectUri,
            ["code_verifier"] = verifier,
            ["client_id"] = rp.ClientId,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion ?? Assertion(rp),
        }));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Loopback.Dispose();
            _personLock.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The Kestrel provider on PostgreSQL.</summary>
public sealed class PostgresOidcProviderFixture() : OidcProviderFixture(StorageProvider.Postgres);

/// <summary>A person with a registered phone.</summary>
public sealed record Person(TestCard Card, MobileJpki.Device.VirtualPhone Phone, PortalApp App);

/// <summary>A registered relying party and its client-assertion key.</summary>
public sealed record RelyingParty(string ClientId, RSA Key, string RedirectUri);
