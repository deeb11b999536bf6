using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MobileJpki.Cli.Tests;

/// <summary><c>mjpki rp add</c> and <c>mjpki app approve</c> through the real CLI against a real server process.</summary>
public sealed partial class RelyingPartyCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task RpAddThenAppApprove_LoginApprovedOnThePhone_PageContinuesToTheRelyingParty()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-cli-rp-").FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "連携 四郎", "--birth", "1988-08-08", "--gender", "male", "--address", "北海道札幌市中央区北1条西2-1",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));

        using var key = RSA.Create(2048);
        var p = key.ExportParameters(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "jwks.json"), JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", n = Base64Url.EncodeToString(p.Modulus), e = Base64Url.EncodeToString(p.Exponent), kid = "k1" } } }));
        var add = await Mjpki.RunAsync(dir, "rp", "add", "--server", server.Url, "--name", "CLI銀行", "--redirect-uri", "http://127.0.0.1:1/cb", "--jwks", "jwks.json");
        Mjpki.AssertSuccess(add);
        var clientId = add.Stdout.Trim();
        Assert.Matches("^rp_[A-Za-z0-9_-]{22}$", clientId);

        // The browser opens the authorization page; the person types its code into the app.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Url) };
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes("cli-verifier-0123456789-0123456789-0123456789")));
        var html = await browser.GetStringAsync($"/connect/authorize?client_id={clientId}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&scope=openid&state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256");
        Assert.Contains("スマホでログイン", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        var code = CodeAttribute().Match(html).Groups[1].Value;
        var cont = WebUtility.HtmlDecode(ContinueAttribute().Match(html).Groups[1].Value);

        var approve = await Mjpki.RunAsync(dir, "app", "approve", "--server", server.Url, "--phone", "phone.json", "--code", code, "--pin", "5678");
        Mjpki.AssertSuccess(approve);
        Assert.Contains("approved CLI銀行", approve.Stdout, StringComparison.Ordinal);

        using var done = await browser.GetAsync(cont);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.StartsWith("http://127.0.0.1:1/cb?code=", done.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        // The same code again, an unknown code, and a wrong PIN: one line each, non-zero exit.
        Assert.Contains("既に使われています", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "approve", "--server", server.Url, "--phone", "phone.json", "--code", code, "--pin", "5678")), StringComparison.Ordinal);
        Assert.Contains("見つかりません", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "approve", "--server", server.Url, "--phone", "phone.json", "--code", "ZZZZ-ZZZZ", "--pin", "5678")), StringComparison.Ordinal);
        var html2 = await browser.GetStringAsync($"/connect/authorize?client_id={clientId}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&scope=openid&state=s2&nonce=n2&code_challenge={challenge}&code_challenge_method=S256");
        var code2 = CodeAttribute().Match(html2).Groups[1].Value;
        Assert.Contains("パスワードが違います", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "approve", "--server", server.Url, "--phone", "phone.json", "--code", code2, "--pin", "0000")), StringComparison.Ordinal);

        // A JWKS with a private key is refused.
        await File.WriteAllTextAsync(Path.Combine(dir, "bad.json"), JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", n = Base64Url.EncodeToString(p.Modulus), e = "AQAB", d = "AAAA" } } }));
        Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "rp", "add", "--server", server.Url, "--name", "Leaky", "--redirect-uri", "http://127.0.0.1:1/cb", "--jwks", "bad.json"));
    }

    [GeneratedRegex("data-code=\"([^\"]+)\"")]
    private static partial Regex CodeAttribute();

    [GeneratedRegex("data-continue=\"([^\"]+)\"")]
    private static partial Regex ContinueAttribute();
}
