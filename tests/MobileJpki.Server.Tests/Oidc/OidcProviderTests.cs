using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests.Oidc;

/// <summary>The provider by hand (browser, phone and relying party played by the test): the signing API and every bad input.</summary>
public abstract class OidcProviderTestsBase(OidcProviderFixture provider)
{
    private const string Verifier = "verifier-0123456789-0123456789-0123456789-0123";

    [Fact]
    public async Task Discovery_CodeFlowS256PrivateKeyJwtOnly_JwksServed()
    {
        var config = await provider.Loopback.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Equal(["code"], config.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["S256"], config.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["private_key_jwt"], config.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("aal3", config.GetProperty("acr_values_supported").EnumerateArray().Select(e => e.GetString()));
        var jwks = await provider.Loopback.GetFromJsonAsync<JsonElement>(config.GetProperty("jwks_uri").GetString());
        Assert.Contains(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kty").GetString() == "RSA");
        Assert.True(File.Exists(Path.Combine(provider.Root, "oidc", "signing-key.pem")));
    }

    [Fact]
    public async Task SignTransaction_ApprovedWithSigningPassword_CmsVerifiesWithOpenSslAndRawWithDotNet()
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("電子契約 / e-Contract", "http://127.0.0.1:1/cb");
        var token = await AccessTokenAsync(rp, person, "openid sign offline_access");
        var document = Encoding.UTF8.GetBytes("売買契約書 / Sales contract No. 42\n");
        var digest = SHA256.HashData(document);

        using var create = await Post(token.AccessToken, new SignTransactionRequest(Convert.ToBase64String(digest), "売買契約書への署名 / Sign the sales contract"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = (await create.Content.ReadFromJsonAsync<SignTransactionCreated>())!;
        Assert.Equal("pending", (await GetTransactionAsync(token.AccessToken, created.TransactionId)).Status);

        var (view, outcome) = await person.App.ApproveAsync(created.Code, new ApproveOptions { SigningPassword = "PHONE2023" }, CancellationToken.None);
        Assert.Equal("売買契約書への署名 / Sign the sales contract", view.Description);
        Assert.Equal("approved", outcome.Status);

        var signed = await GetTransactionAsync(token.AccessToken, created.TransactionId);
        Assert.Equal("signed", signed.Status);
        var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(signed.Certificate!));
        Assert.Equal(person.Phone.SecureElement.CertificateDer(MobileJpki.Card.PinKind.Signing), certificate.RawData);

        // The raw PKCS#1 v1.5 signature over the digest, with .NET.
        Assert.True(certificate.GetRSAPublicKey()!.VerifyHash(digest, Convert.FromBase64String(signed.Signature!), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // The CMS: detached, signingCertificateV2 naming the certificate, verified by .NET and the real openssl.
        var cms = Convert.FromBase64String(signed.Cms!);
        var signedCms = new SignedCms(new ContentInfo(document), detached: true);
        signedCms.Decode(cms);
        signedCms.CheckSignature(verifySignatureOnly: true);
        var attributes = signedCms.SignerInfos[0].SignedAttributes.Cast<CryptographicAttributeObject>().Select(a => a.Oid.Value).ToArray();
        Assert.Contains("1.2.840.113549.1.9.16.2.47", attributes);
        var dir = Directory.CreateTempSubdirectory("mjpki-sign-").FullName;
        try
        {
            var der = Path.Combine(dir, "sig.der");
            var content = Path.Combine(dir, "contract.txt");
            var root = Path.Combine(dir, "root.pem");
            await File.WriteAllBytesAsync(der, cms);
            await File.WriteAllBytesAsync(content, document);
            await File.WriteAllTextAsync(root, (await provider.CaCertificateAsync("sign.cer")).ExportCertificatePem());
            var at = provider.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var (code, output) = OpenSsl("cms", "-verify", "-binary", "-content", content, "-inform", "DER", "-in", der, "-CAfile", root, "-purpose", "any", "-attime", at, "-out", "/dev/null");
            Assert.True(code == 0, output);
            Assert.Contains("Verification successful", output, StringComparison.Ordinal);

            // A different document does not verify.
            await File.WriteAllBytesAsync(content, Encoding.UTF8.GetBytes("売買契約書 / Sales contract No. 43\n"));
            Assert.NotEqual(0, OpenSsl("cms", "-verify", "-binary", "-content", content, "-inform", "DER", "-in", der, "-CAfile", root, "-purpose", "any", "-attime", at, "-out", "/dev/null").Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        await using var db = provider.OpenDb();
        Assert.True(await db.Usage.AnyAsync(u => u.Kind == UsageKinds.OidcSign && u.Detail == "売買契約書への署名 / Sign the sales contract"));

        // The refresh token gives a new access token that still works for the signing API.
        var refreshed = await RefreshAsync(rp, token.RefreshToken!);
        Assert.Equal("pending", (await GetTransactionAsync(refreshed, (await (await Post(refreshed, new SignTransactionRequest(Convert.ToBase64String(digest), "2回目 / second"))).Content.ReadFromJsonAsync<SignTransactionCreated>())!.TransactionId)).Status);
    }

    [Fact]
    public async Task SignTransaction_FetchedByAnotherClient_NotFoundWithoutDetails()
    {
        var person = await provider.PersonAsync();
        var mine = await provider.RegisterAsync("Client A", "http://127.0.0.1:1/a");
        var other = await provider.RegisterAsync("Client B", "http://127.0.0.1:1/b");
        var mineToken = await AccessTokenAsync(mine, person, "openid sign");
        var otherToken = await AccessTokenAsync(other, person, "openid sign");
        using var create = await Post(mineToken.AccessToken, new SignTransactionRequest(Convert.ToBase64String(new byte[32]), "秘密 / secret"));
        var created = (await create.Content.ReadFromJsonAsync<SignTransactionCreated>())!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/sign-transactions/{created.TransactionId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", otherToken.AccessToken);
        using var response = await provider.Loopback.SendAsync(request);
        var body = await Problem.AssertAsync(response, 404, "sign-transaction-not-found");
        Assert.DoesNotContain("秘密", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignTransaction_BadInputs_ClearErrors()
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("Client C", "http://127.0.0.1:1/c");
        var token = await AccessTokenAsync(rp, person, "openid sign");
        var loginOnly = await AccessTokenAsync(rp, person, "openid");

        await Problem.AssertAsync(await Post(token.AccessToken, new SignTransactionRequest(Convert.ToBase64String(new byte[31]), "x")), 400, "bad-digest");
        await Problem.AssertAsync(await Post(token.AccessToken, new SignTransactionRequest(Convert.ToBase64String(new byte[32]), new string('あ', 201))), 400, "bad-description");
        await Problem.AssertAsync(await Post(null, new SignTransactionRequest(Convert.ToBase64String(new byte[32]), "x")), 401, "rp-token-invalid");
        await Problem.AssertAsync(await Post("not-a-token", new SignTransactionRequest(Convert.ToBase64String(new byte[32]), "x")), 401, "rp-token-invalid");
        await Problem.AssertAsync(await Post(loginOnly.AccessToken, new SignTransactionRequest(Convert.ToBase64String(new byte[32]), "x")), 403, "rp-scope-missing");
    }

    [Fact]
    public async Task Authorize_MissingPkce_InvalidRequestToRelyingParty()
    {
        var rp = await provider.RegisterAsync("No PKCE", "http://127.0.0.1:1/np");
        var error = await AuthorizeErrorAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", verifier: null));
        Assert.Equal("invalid_request", error["error"]);
        Assert.Contains("code_challenge", error["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_PlainPkce_Refused()
    {
        var rp = await provider.RegisterAsync("Plain PKCE", "http://127.0.0.1:1/pp");
        var error = await AuthorizeErrorAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier, method: "plain"));
        Assert.Equal("invalid_request", error["error"]);
    }

    [Theory]
    [InlineData("state")]
    [InlineData("nonce")]
    public async Task Authorize_MissingStateOrNonce_InvalidRequest(string missing)
    {
        var rp = await provider.RegisterAsync("No " + missing, "http://127.0.0.1:1/ns");
        var url = missing == "state"
            ? OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier, state: null)
            : OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier, nonce: null);
        var error = await AuthorizeErrorAsync(url);
        Assert.Equal("invalid_request", error["error"]);
        Assert.Contains(missing, error["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_RedirectUriMismatch_ErrorShownNotRedirected()
    {
        var rp = await provider.RegisterAsync("Mismatch", "http://127.0.0.1:1/good");
        using var response = await provider.Loopback.GetAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier, redirectUri: "http://127.0.0.1:1/evil"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WrongVerifier_InvalidGrant()
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("Wrong verifier", "http://127.0.0.1:1/wv");
        var code = await provider.AuthorizationCodeAsync(rp, person, "openid", Verifier);
        var (status, body) = await provider.TokenAsync(rp, code, Verifier + "x");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_ReusedCode_InvalidGrant()
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("Reuse", "http://127.0.0.1:1/ru");
        var code = await provider.AuthorizationCodeAsync(rp, person, "openid", Verifier);
        var (first, tokens) = await provider.TokenAsync(rp, code, Verifier);
        Assert.Equal(HttpStatusCode.OK, first);
        Assert.True(tokens.TryGetProperty("id_token", out _));
        var (second, body) = await provider.TokenAsync(rp, code, Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, second);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("expired")]
    [InlineData("wrong-audience")]
    public async Task Token_BadClientAssertion_Refused(string how)
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("Assertion " + how, "http://127.0.0.1:1/as");
        var code = await provider.AuthorizationCodeAsync(rp, person, "openid", Verifier);
        using var otherKey = RSA.Create(2048);
        var assertion = how switch
        {
            "wrong-key" => provider.Assertion(rp, key: otherKey),
            "expired" => provider.Assertion(rp, notBefore: TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-2), lifetime: TimeSpan.FromMinutes(5)),
            _ => provider.Assertion(rp, audience: "https://elsewhere.example/"),
        };
        var (status, body) = await provider.TokenAsync(rp, code, Verifier, assertion);
        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, status.ToString());

        // OpenIddict says invalid_client for a bad signature or lifetime, invalid_grant for an assertion meant for another audience.
        Assert.Contains(body.GetProperty("error").GetString(), new[] { "invalid_client", "invalid_grant" });
        Assert.False(body.TryGetProperty("access_token", out _));

        // And the code still is not spendable by anyone: a client secret is no way in either.
        using var secret = await provider.Loopback.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = rp.RedirectUri,
            ["code_verifier"] = Verifier,
            ["client_id"] = rp.ClientId,
            ["client_secret"] = "guess",
        }));
        Assert.False(secret.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Token_ReplayedClientAssertion_RefusedAndNoTokens()
    {
        var person = await provider.PersonAsync();
        var rp = await provider.RegisterAsync("Replay", "http://127.0.0.1:1/rp");
        var first = await provider.AuthorizationCodeAsync(rp, person, "openid", Verifier);
        var second = await provider.AuthorizationCodeAsync(rp, person, "openid", Verifier);
        var assertion = provider.Assertion(rp);

        var (firstStatus, tokens) = await provider.TokenAsync(rp, first, Verifier, assertion);
        Assert.Equal(HttpStatusCode.OK, firstStatus);
        Assert.True(tokens.TryGetProperty("id_token", out _));

        // The same assertion (same jti) again, for a code nobody has spent yet: whoever captured it is not the client.
        var (replayStatus, replay) = await provider.TokenAsync(rp, second, Verifier, assertion);
        Assert.True(replayStatus is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, replayStatus.ToString());
        Assert.Equal("invalid_client", replay.GetProperty("error").GetString());
        Assert.False(replay.TryGetProperty("access_token", out _));

        // The code itself was not spent by the refusal: the client with a fresh assertion still gets its tokens.
        var (freshStatus, fresh) = await provider.TokenAsync(rp, second, Verifier);
        Assert.Equal(HttpStatusCode.OK, freshStatus);
        Assert.True(fresh.TryGetProperty("id_token", out _));
    }

    [Fact]
    public async Task DeviceLink_UnknownExpiredUsed_EachItsOwnError()
    {
        var person = await provider.PersonAsync();
        var api = new ServerApi(provider.PhoneClient());
        var unknown = await Assert.ThrowsAsync<AppException>(() => person.App.ApproveAsync("ZZZZ-ZZZZ", new ApproveOptions { Pin = "5678" }, CancellationToken.None));
        Assert.Equal("device-link-unknown", unknown.Code);

        var rp = await provider.RegisterAsync("Links", "http://127.0.0.1:1/l");
        var (used, _) = await provider.OpenPageAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier));
        await person.App.ApproveAsync(used, new ApproveOptions { Pin = "5678" }, CancellationToken.None);
        var again = await Assert.ThrowsAsync<AppException>(() => person.App.ApproveAsync(used, new ApproveOptions { Pin = "5678" }, CancellationToken.None));
        Assert.Equal("device-link-used", again.Code);

        var (expiring, cont) = await provider.OpenPageAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier));
        await provider.SetClockAsync(provider.Clock.GetUtcNow() + DeviceLinkService.Lifetime + TimeSpan.FromSeconds(1));
        var expired = await Assert.ThrowsAsync<AppException>(() => api.GetDeviceLinkAsync(expiring, CancellationToken.None));
        Assert.Equal("device-link-expired", expired.Code);

        // The page's continuation tells the relying party access_denied.
        using var response = await provider.Loopback.GetAsync(cont);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(response.Headers.Location!.Query)["error"].ToString());
    }

    [Fact]
    public async Task Approve_SuspendedThenRevokedCertificate_CertificateAuthenticatorCodes()
    {
        var person = await provider.NewPersonAsync("停止 三郎", "1970-07-07", "male", "大阪府大阪市北区中之島1-3-20");
        var rp = await provider.RegisterAsync("Suspended", "http://127.0.0.1:1/s");
        await person.App.SuspendAsync(CancellationToken.None);
        var (code, _) = await provider.OpenPageAsync(OidcProviderFixture.AuthorizeUrl(rp, "openid", Verifier));
        var suspended = await Assert.ThrowsAsync<AppException>(() => person.App.ApproveAsync(code, new ApproveOptions { Pin = "5678" }, CancellationToken.None));
        Assert.Equal("certificate-suspended", suspended.Code);
        Assert.DoesNotContain("停止 三郎", suspended.Message, StringComparison.Ordinal);

        // Keep a copy of the SE (keys and certificates) to try again after revocation wipes the phone.
        var copyPath = Path.Combine(provider.Root, "copy-" + Guid.NewGuid().ToString("N") + ".json");
        person.Phone.Save(copyPath);
        await person.App.RevokeAsync(confirmed: true, CancellationToken.None);
        var copy = MobileJpki.Device.VirtualPhone.Open(copyPath, provider.Clock);
        var copyApp = provider.NewApp(copy, client: provider.PhoneClient());
        var revoked = await Assert.ThrowsAsync<AppException>(() => copyApp.ApproveAsync(code, new ApproveOptions { Pin = "5678" }, CancellationToken.None));
        Assert.Equal("certificate-revoked", revoked.Code);
    }

    [Fact]
    public async Task Refresh_CertificateSuspendedAfterLogin_InvalidGrant()
    {
        var person = await provider.NewPersonAsync("更新 五郎", "1975-05-05", "male", "愛知県名古屋市中区三の丸3-1-2");
        var rp = await provider.RegisterAsync("Refresh", "http://127.0.0.1:1/r");
        var token = await AccessTokenAsync(rp, person, "openid offline_access");
        Assert.NotNull(await RefreshAsync(rp, token.RefreshToken!));

        await person.App.SuspendAsync(CancellationToken.None);
        using var response = await provider.Loopback.PostAsync("/connect/token", RefreshForm(rp, token.RefreshToken!));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        Assert.DoesNotContain("更新", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_PrivateKeyInJwksOrBadRedirect_Refused()
    {
        using var key = RSA.Create(2048);
        var p = key.ExportParameters(true);
        var jwks = JsonSerializer.SerializeToElement(new { keys = new[] { new { kty = "RSA", n = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.Modulus), e = "AQAB", d = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.D) } } });
        using var withPrivate = await provider.Loopback.PostAsJsonAsync("/api/v1/relying-parties", new RelyingPartyRegistration("Leaky", ["http://127.0.0.1:1/x"], jwks));
        await Problem.AssertAsync(withPrivate, 400, "bad-jwks");
        var publicOnly = JsonSerializer.SerializeToElement(new { keys = new[] { new { kty = "RSA", n = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.Modulus), e = "AQAB" } } });
        using var fragment = await provider.Loopback.PostAsJsonAsync("/api/v1/relying-parties", new RelyingPartyRegistration("Frag", ["http://127.0.0.1:1/x#f"], publicOnly));
        await Problem.AssertAsync(fragment, 400, "bad-redirect-uri");
    }

    private async Task<Dictionary<string, string>> AuthorizeErrorAsync(string url)
    {
        // OpenIddict answers a bad authorization request on its own page (400, error and error_description lines)
        // rather than redirecting to the client: no code is issued either way.
        using var response = await provider.Loopback.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, response.StatusCode + " " + body);
        Assert.Null(response.Headers.Location);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
    }

    private async Task<(string AccessToken, string? RefreshToken)> AccessTokenAsync(RelyingParty rp, Person person, string scope)
    {
        var code = await provider.AuthorizationCodeAsync(rp, person, scope, Verifier);
        var (status, body) = await provider.TokenAsync(rp, code, Verifier);
        Assert.True(status == HttpStatusCode.OK, body.GetRawText());
        return (body.GetProperty("access_token").GetString()!, body.TryGetProperty("refresh_token", out var r) ? r.GetString() : null);
    }

    private async Task<string> RefreshAsync(RelyingParty rp, string refreshToken)
    {
        using var response = await provider.Loopback.PostAsync("/connect/token", RefreshForm(rp, refreshToken));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        return body.GetProperty("access_token").GetString()!;
    }

    private FormUrlEncodedContent RefreshForm(RelyingParty rp, string refreshToken) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "refresh_token",
        ["refresh_token"] = refreshToken,
        ["client_id"] = rp.ClientId,
        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ["client_assertion"] = provider.Assertion(rp),
    });

    private async Task<HttpResponseMessage> Post(string? accessToken, SignTransactionRequest body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sign-transactions") { Content = JsonContent.Create(body) };
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return await provider.Loopback.SendAsync(request);
    }

    private async Task<SignTransactionView> GetTransactionAsync(string accessToken, Guid id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/sign-transactions/{id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await provider.Loopback.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SignTransactionView>())!;
    }

    private static (int Code, string Output) OpenSsl(params string[] args)
    {
        Assert.True(File.Exists("/usr/bin/openssl"), "openssl is required for this test");
        var start = new ProcessStartInfo("/usr/bin/openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "openssl did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>On SQLite.</summary>
public sealed class OidcProviderTests(OidcProviderFixture provider) : OidcProviderTestsBase(provider), IClassFixture<OidcProviderFixture>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresOidcProviderTests(PostgresOidcProviderFixture provider) : OidcProviderTestsBase(provider), IClassFixture<PostgresOidcProviderFixture>;
