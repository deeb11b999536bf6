using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Server.Endpoints;
using MobileJpki.Server.Hosting;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace MobileJpki.Server.Oidc;

/// <summary>
/// The OIDC provider's pages and the relying-party APIs: the authorization page (short code + device link, polled
/// until the phone answers), the phone's device-link API, relying-party registration and the signing API.
/// </summary>
internal static class OidcEndpoints
{
    /// <summary>The query parameter with which the authorization page continues its own request once the phone answered.</summary>
    public const string LinkParameter = "mjpki_link";

    /// <summary>The private claim carrying the person to the signing API; only in (encrypted) access tokens.</summary>
    public const string PersonClaim = "mjpki_person";

    public static void Map(WebApplication app)
    {
        // OpenIddict answers its endpoints (discovery, JWKS, token) from the authentication middleware.
        app.UseAuthentication();

        app.MapMethods("/connect/authorize", ["GET", "POST"], AuthorizeAsync).ExcludeFromDescription().RequireRateLimiting(RateLimitPolicies.DeviceLinks);
        app.MapMethods("/connect/userinfo", ["GET", "POST"], (Delegate)UserInfoAsync).ExcludeFromDescription();
        app.MapGet("/connect/device-links/{id:guid}", LinkStatusAsync)
            .WithTags("OIDC provider")
            .WithSummary("The authorization page polls its device link (wait ≤ 25 s): pending, approved, refused, expired, consumed")
            .Produces<DeviceLinkStatusView>();
        app.MapGet("/device-link", DeviceLinkPage).ExcludeFromDescription();

        var api = app.MapGroup("/api/v1").WithTags("Relying parties");
        api.MapGet("/device-links/{code}", ViewLinkAsync)
            .WithSummary("The phone reads what a device-link code asks (relying party, scopes, description, digest) before the person decides")
            .Produces<DeviceLinkView>()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(RateLimitPolicies.DeviceLinks);
        api.MapPost("/device-links/{code}/decision", DecideAsync)
            .WithSummary("The phone's answer: approve or refuse, signed by the phone auth key (PIN) or signing key (password)")
            .Produces<DeviceLinkOutcome>()
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithMetadata(new RequestSizeLimitMetadata(32 * 1024))
            .RequireRateLimiting(RateLimitPolicies.DeviceLinks);
        api.MapPost("/relying-parties", RegisterAsync)
            .WithSummary("Registers a relying party (OIDC client, private_key_jwt with the JWKS given); admin key or sandbox mode")
            .Produces<RelyingPartyView>(StatusCodes.Status201Created)
            .WithMetadata(new RequestSizeLimitMetadata(64 * 1024));
        api.MapPost("/sign-transactions", CreateSignTransactionAsync)
            .WithSummary("Signing API: a SHA-256 digest and a description → a device-link code for the person (access token with scope sign)")
            .Produces<SignTransactionCreated>(StatusCodes.Status201Created)
            .WithMetadata(new RequestSizeLimitMetadata(8 * 1024));
        api.MapGet("/sign-transactions/{id:guid}", GetSignTransactionAsync)
            .WithSummary("Signing API: the transaction's status and, once signed, the CMS (CAdES-BES, detached), the raw PKCS#1 signature and the certificate")
            .Produces<SignTransactionView>();
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context, IOpenIddictApplicationManager applications, DeviceLinkService links, IServiceProvider services, OidcKeys keys, CancellationToken ct)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw MjpkiException.BadRequest("bad-request", "Not an OpenID Connect request.");
        var scopes = request.GetScopes().ToImmutableArray();
        if (request.GetParameter(LinkParameter)?.ToString() is not { } linkText)
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, ct) ?? throw MjpkiException.BadRequest("bad-request", "Unknown client.");
            var name = await applications.GetDisplayNameAsync(application, ct) ?? request.ClientId!;
            var key = scopes.Any(DeviceLinkService.Basic4Scopes.Contains) ? "sign" : "auth";
            var created = await links.CreateAsync(
                DeviceLinkService.OidcLogin,
                new DeviceLinkRequest
                {
                    ClientId = request.ClientId!,
                    ClientName = name,
                    Scopes = [.. scopes.Order(StringComparer.Ordinal)],
                    Key = key,
                    RedirectUri = request.RedirectUri,
                    Nonce = request.Nonce,
                    CodeChallenge = request.CodeChallenge,
                    Acr = request.AcrValues is null ? null : OidcRegistration.Acr,
                },
                null,
                ct);
            return Page(context, request, created, name, scopes, key);
        }

        if (!Guid.TryParse(linkText, out var linkId) || await links.GetAsync(linkId, ct) is not { } link || link.Purpose != DeviceLinkService.OidcLogin)
        {
            return Deny(Errors.InvalidRequest, "The device link is unknown.");
        }

        var asked = DeviceLinkService.RequestOf(link);
        if (asked.ClientId != request.ClientId || asked.RedirectUri != request.RedirectUri || asked.Nonce != request.Nonce
            || asked.CodeChallenge != request.CodeChallenge || !asked.Scopes.SequenceEqual(scopes.Order(StringComparer.Ordinal)))
        {
            return Deny(Errors.InvalidRequest, "The device link does not belong to this request.");
        }

        switch (links.EffectiveStatus(link))
        {
            case DeviceLinkStatus.Pending:
                return Page(context, request, link, asked.ClientName, scopes, asked.Key);
            case DeviceLinkStatus.Refused:
                return Deny(Errors.AccessDenied, "The person declined on the phone.");
            case DeviceLinkStatus.Expired:
                return Deny(Errors.AccessDenied, "The approval expired.");
            case DeviceLinkStatus.Consumed:
                return Deny(Errors.InvalidRequest, "This approval has already been used.");
            default:
                break;
        }

        if (!await links.TryConsumeAsync(link.Id, ct))
        {
            return Deny(Errors.InvalidRequest, "This approval has already been used.");
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, PersonClaims.PairwiseSubject(keys.Pairwise, request.ClientId!, link.PersonId!.Value));
        identity.SetClaim(Claims.AuthenticationTime, (link.CompletedAt ?? link.CreatedAt).ToUnixTimeSeconds());
        identity.SetClaim(PersonClaim, link.PersonId.Value.ToString());
        identity.SetClaim(CertificateStillValid.SerialClaim, link.CertificateSerial);
        if (asked.Acr is { } acr)
        {
            identity.SetClaim(Claims.AuthenticationContextReference, acr);
        }

        if (scopes.Any(DeviceLinkService.Basic4Scopes.Contains))
        {
            // 基本4情報 only from the signing certificate the person approved with, and only for the scopes asked.
            var record = await services.GetRequiredService<IRaStore>().GetCertificateAsync(link.CertificateSerial!, ct);
            if (record?.Der is null || record.Kind != CertificateKind.PhoneSigning)
            {
                return Deny(Errors.AccessDenied, "The approval was not made with the signing certificate.");
            }

            foreach (var (type, value, json) in PersonClaims.Basic4(record.Der, scopes))
            {
                identity.AddClaim(new Claim(type, value, json ? JsonClaimValueTypes.Json : ClaimValueTypes.String));
            }
        }

        identity.SetScopes(scopes);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
            PersonClaim => [Destinations.AccessToken],
            Claims.AuthenticationTime or Claims.AuthenticationContextReference => [Destinations.IdentityToken],
            Claims.Name or Claims.Address or Claims.Birthdate or Claims.Gender => [Destinations.IdentityToken],
            _ => [],
        });
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>userinfo: the subject only (the 基本4情報 travel in the id_token the person consented to).</summary>
    private static async Task<IResult> UserInfoAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal?.GetClaim(Claims.Subject) is not { } subject)
        {
            return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        return Results.Json(new Dictionary<string, string> { [Claims.Subject] = subject });
    }

    private static IResult Deny(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>The authorization page: the short code, the device link (and its QR), polling until the phone answers.</summary>
    private static IResult Page(HttpContext context, OpenIddictRequest request, DeviceLinkRecord link, string clientName, IReadOnlyList<string> scopes, string key)
    {
        var parameters = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in request.GetParameters())
        {
            if (name != LinkParameter && value.ToString() is { } text)
            {
                parameters[name] = text;
            }
        }

        parameters[LinkParameter] = link.Id.ToString();
        var continueUrl = QueryHelpers.AddQueryString("/connect/authorize", parameters);
        var code = DeviceLinkService.Display(link.Code);
        var origin = OriginOf(context.Request);
        var deviceLink = $"{origin}/device-link?code={Uri.EscapeDataString(code)}";
        var command = key == "sign" ? "--sign-password ****" : "--pin ****";
        var scopeText = string.Join(' ', scopes);
        var html = $$"""
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><title>スマホでログイン / Log in with your phone</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body data-code="{{H(code)}}" data-link="{{link.Id}}" data-continue="{{H(continueUrl)}}">
            <h1>スマホでログイン <small>/ Log in with your phone</small></h1>
            <p><b>{{H(clientName)}}</b> が次の情報を求めています / asks for: <code>{{H(scopeText)}}</code></p>
            <p>マイナポータルアプリで次のコードを入力するか、QR を読み取って承認してください。<br>
            Enter this code in the portal app, or scan the QR, and approve.</p>
            <p style="font-size:2.5em;letter-spacing:.15em"><b id="code">{{H(code)}}</b></p>
            {{QrSvg.Render(deviceLink)}}
            <p><a href="{{H(deviceLink)}}">{{H(deviceLink)}}</a></p>
            <p>{{(key == "sign" ? "署名用電子証明書のパスワードで承認します（氏名・住所などを提供します） / Approve with the signing password (your name, address… are released)" : "利用者証明用電子証明書の暗証番号（数字4桁）で承認します / Approve with the 4-digit auth PIN")}}</p>
            <pre>mjpki app approve --phone phone.json --code {{H(code)}} {{command}}</pre>
            <p id="status">スマホでの承認を待っています… / Waiting for your phone…</p>
            <p><a id="continue" href="{{H(continueUrl)}}">承認したら続ける / Continue after approving</a></p>
            <script>
            (async () => {
              const body = document.body;
              for (;;) {
                try {
                  const r = await fetch('/connect/device-links/' + body.dataset.link + '?wait=20');
                  const s = (await r.json()).status;
                  if (s !== 'pending') { location.href = body.dataset.continue; return; }
                } catch (e) { await new Promise(ok => setTimeout(ok, 2000)); }
              }
            })();
            </script>
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static async Task<IResult> LinkStatusAsync(Guid id, int? wait, DeviceLinkService links, CancellationToken ct) =>
        Results.Json(new DeviceLinkStatusView(await links.StatusAsync(id, TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, 25)), ct)));

    /// <summary>Where a device-link QR points: the code, for a phone that opens it in a browser instead of the app.</summary>
    private static IResult DeviceLinkPage(string? code)
    {
        var shown = H(code is { Length: <= 16 } c ? c : string.Empty);
        return Results.Content(
            $"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>承認コード / Approval code</title></head><body><h1>承認コード <small>/ Approval code</small></h1><p style=\"font-size:2em\"><b>{shown}</b></p><p>マイナポータルアプリで承認してください / Approve it in the portal app: <code>mjpki app approve --code {shown}</code></p></body></html>",
            "text/html; charset=utf-8");
    }

    private static async Task<IResult> ViewLinkAsync(string code, HttpRequest request, DeviceLinkService links, CancellationToken ct)
    {
        var (_, view) = await links.ViewAsync(code, OriginOf(request), ct);
        return Results.Json(view);
    }

    private static async Task<IResult> DecideAsync(string code, DeviceLinkDecision body, HttpRequest request, DeviceLinkService links, CancellationToken ct) =>
        Results.Json(await links.DecideAsync(code, OriginOf(request), body, ct));

    private static async Task<IResult> RegisterAsync(RelyingPartyRegistration body, HttpRequest request, IOpenIddictApplicationManager applications, IOptions<RelyingPartyOptions> options, IOptions<SandboxOptions> sandbox, CancellationToken ct)
    {
        AuthorizeAdmin(request, options.Value, sandbox.Value);
        var name = Inputs.Text(body.Name, "name", 100);
        if (body.RedirectUris is not { Count: > 0 and <= 10 })
        {
            throw MjpkiException.BadRequest("bad-redirect-uri", "'redirectUris' must list 1–10 absolute http(s) URIs without a fragment.");
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = "rp_" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            DisplayName = name,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Explicit,
            JsonWebKeySet = ParseJwks(body.Jwks),
        };
        foreach (var uri in body.RedirectUris)
        {
            if (uri is not { Length: <= 512 } || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(parsed.Fragment))
            {
                throw MjpkiException.BadRequest("bad-redirect-uri", "'redirectUris' must list 1–10 absolute http(s) URIs without a fragment.");
            }

            descriptor.RedirectUris.Add(parsed);
        }

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Authorization,
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.AuthorizationCode,
            Permissions.GrantTypes.RefreshToken,
            Permissions.ResponseTypes.Code,
            .. OidcRegistration.Scopes.Select(s => Permissions.Prefixes.Scope + s),
        ]);
        descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        await applications.CreateAsync(descriptor, ct);
        var view = new RelyingPartyView(descriptor.ClientId, name, [.. descriptor.RedirectUris.Select(u => u.OriginalString)]);
        return Results.Json(view, statusCode: StatusCodes.Status201Created);
    }

    private static JsonWebKeySet ParseJwks(JsonElement jwks)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(jwks.GetRawText());
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or InvalidOperationException)
        {
            throw MjpkiException.BadRequest("bad-jwks", "'jwks' must be a JSON Web Key Set with public RSA or EC keys.");
        }

        if (set.Keys.Count is 0 or > 10 || set.Keys.Any(k => k.Kty is not ("RSA" or "EC") || !string.IsNullOrEmpty(k.D) || !string.IsNullOrEmpty(k.K)))
        {
            // A private key here would mean the relying party leaked it to us: refuse rather than keep it.
            throw MjpkiException.BadRequest("bad-jwks", "'jwks' must be a JSON Web Key Set with 1–10 public RSA or EC keys (no private parts).");
        }

        return set;
    }

    private static void AuthorizeAdmin(HttpRequest request, RelyingPartyOptions options, SandboxOptions sandbox)
    {
        if (string.IsNullOrEmpty(options.AdminKey))
        {
            if (!sandbox.Enabled)
            {
                throw MjpkiException.Forbidden("rp-admin-closed", "Registering relying parties needs RelyingParties:AdminKey outside sandbox mode.");
            }

            return;
        }

        var given = Inputs.Bearer(request) ?? string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(options.AdminKey))))
        {
            throw new MjpkiException(ErrorKind.Unauthorized, "rp-admin-unauthorized", "The relying-party admin key is missing or wrong.");
        }
    }

    private static async Task<IResult> CreateSignTransactionAsync(SignTransactionRequest body, HttpContext context, IOpenIddictApplicationManager applications, SignTransactionService transactions, CancellationToken ct)
    {
        var (clientId, personId) = await AuthenticateClientAsync(context);
        var application = await applications.FindByClientIdAsync(clientId, ct);
        var name = (application is null ? null : await applications.GetDisplayNameAsync(application, ct)) ?? clientId;
        var (tx, link) = await transactions.CreateAsync(clientId, name, personId, body, ct);
        var code = DeviceLinkService.Display(link.Code);
        return Results.Json(
            new SignTransactionCreated(tx.Id, code, $"{OriginOf(context.Request)}/device-link?code={code}", tx.ExpiresAt),
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetSignTransactionAsync(Guid id, HttpContext context, SignTransactionService transactions, CancellationToken ct)
    {
        var (clientId, _) = await AuthenticateClientAsync(context);
        return Results.Json(await transactions.GetAsync(id, clientId, ct));
    }

    /// <summary>The relying party behind a bearer access token with scope <c>sign</c>, and the person it was issued for.</summary>
    private static async Task<(string ClientId, Guid? PersonId)> AuthenticateClientAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal)
        {
            throw new MjpkiException(ErrorKind.Unauthorized, "rp-token-invalid", "A valid access token (Authorization: Bearer) is required.");
        }

        if (!principal.HasScope("sign"))
        {
            throw MjpkiException.Forbidden("rp-scope-missing", "The access token lacks the 'sign' scope.");
        }

        var clientId = principal.GetClaim(Claims.ClientId) ?? principal.GetPresenters().FirstOrDefault()
            ?? throw new MjpkiException(ErrorKind.Unauthorized, "rp-token-invalid", "A valid access token (Authorization: Bearer) is required.");
        Guid? person = Guid.TryParse(principal.GetClaim(PersonClaim), out var p) ? p : null;
        return (clientId, person);
    }

    internal static string OriginOf(HttpRequest request) => $"{request.Scheme}://{request.Host}".ToLowerInvariant();

    private static string H(string value) => WebUtility.HtmlEncode(value);
}
