using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Web.Tests;

/// <summary>The operator console (/console) clicked through in Chromium: sign-in, search, suspend with a reason, audit trail.</summary>
public sealed partial class ConsoleTests(WebFixture web) : IClassFixture<WebFixture>
{
    private const string BirthDate = "1979-08-15";

    [Fact]
    public async Task Console_SupervisorFindsAndSuspends_DatabaseAndAuditTrailShowTheAct()
    {
        var personId = await PersonWithPhoneCertificatesAsync("電話 一郎");
        var page = await web.NewPageAsync(phone: false);

        // Not signed in: every console page sends to the sign-in page.
        await page.GotoAsync("/console/audit");
        Assert.EndsWith("/console/sign-in", page.Url, StringComparison.Ordinal);
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-desktop-1-sign-in");
        await SignInAsync(page, "supervisor", SupervisorPassword());
        Assert.Equal("supervisor", await page.GetByTestId("operator-name").InnerTextAsync());
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "mjpki-op" && !c.HttpOnly);

        // Search: the masked view (initial and prefecture), with the phone certificates.
        await page.GetByLabel("氏名").FillAsync("電話 一郎");
        await page.GetByLabel("生年月日").FillAsync(BirthDate);
        await page.GetByTestId("search").ClickAsync();
        var match = page.GetByTestId("match");
        await match.WaitForAsync();
        Assert.Equal(1, await match.CountAsync());
        var shown = await match.InnerTextAsync();
        Assert.Contains(personId.ToString(), shown, StringComparison.Ordinal);
        Assert.DoesNotContain("電話 一郎", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("千代田区", shown, StringComparison.Ordinal);
        Assert.Equal(2, await page.GetByTestId("match-cert").CountAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-desktop-2-found");

        // An empty reason is refused, nothing suspended.
        await page.GetByTestId("suspend").ClickAsync();
        Assert.Equal("reason-required", await page.GetByTestId("error").GetAttributeAsync("data-code"));
        Assert.Contains("A reason is required", await page.GetByTestId("error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.All(await PhoneCertificatesAsync(personId), c => Assert.NotEqual((int)CertificateStatus.Suspended, c.Status));

        // With a reason and the confirmation step: suspended.
        await page.GetByLabel("生年月日").FillAsync(BirthDate);
        await page.GetByLabel("氏名").FillAsync("電話 一郎");
        await page.GetByTestId("search").ClickAsync();
        const string reason = "スマホを紛失したとの電話";
        await page.GetByTestId("reason").FillAsync(reason);
        await page.GetByTestId("suspend").ClickAsync();
        await page.GetByTestId("confirm").WaitForAsync();
        Assert.Equal(reason, await page.GetByTestId("confirm-reason").InnerTextAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-desktop-3-confirm");
        await page.GetByTestId("suspend-confirm").ClickAsync();
        await page.GetByTestId("suspended").WaitForAsync();
        await PageChecks.ScreenshotAsync(page, "console-desktop-4-suspended");
        var certs = await PhoneCertificatesAsync(personId);
        Assert.Equal(2, certs.Count);
        Assert.All(certs, c => Assert.Equal((int)CertificateStatus.Suspended, c.Status));

        // The audit trail shows who did it, why, and the chain checks out.
        await page.GetByTestId("nav-audit").ClickAsync();
        await page.GetByTestId("audit-table").WaitForAsync();
        var row = page.Locator("[data-testid=audit-row][data-action='hotline.suspend']");
        Assert.Equal(1, await row.CountAsync());
        var rowText = await row.InnerTextAsync();
        Assert.Contains("operator:supervisor", rowText, StringComparison.Ordinal);
        Assert.Contains(reason, rowText, StringComparison.Ordinal);
        Assert.Contains(personId.ToString(), rowText, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", rowText, StringComparison.Ordinal);
        await page.GetByTestId("chain-ok").WaitForAsync();
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-desktop-5-audit");

        // Sign out: the console is closed again.
        await page.GetByTestId("sign-out").ClickAsync();
        await page.GetByTestId("signed-out").WaitForAsync();
        await page.GotoAsync("/console");
        Assert.EndsWith("/console/sign-in", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_BadInput_RefusedClearlyInBothLanguages()
    {
        var page = await web.NewPageAsync(phone: true);

        // Wrong password: both languages, the name kept, the password field empty.
        await page.GotoAsync("/console");
        await page.GetByLabel("オペレーター名").FillAsync("supervisor");
        await page.GetByLabel("パスワード").FillAsync("not-the-password");
        await page.GetByTestId("sign-in").ClickAsync();
        var error = page.GetByTestId("error");
        await error.WaitForAsync();
        Assert.Equal("sign-in-failed", await error.GetAttributeAsync("data-code"));
        Assert.Contains("パスワードが違います", await error.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Wrong operator name or password", await error.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("supervisor", await page.GetByLabel("オペレーター名").InputValueAsync());
        Assert.Equal(string.Empty, await page.GetByLabel("パスワード").InputValueAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-phone-1-wrong-password");

        // A search with no match says so, and shows nobody.
        await SignInAsync(page, "supervisor", SupervisorPassword());
        await page.GetByLabel("氏名").FillAsync("存在 しない");
        await page.GetByLabel("生年月日").FillAsync("1901-01-01");
        await page.GetByTestId("search").ClickAsync();
        await page.GetByTestId("no-match").WaitForAsync();
        Assert.Contains("No person matches", await page.GetByTestId("no-match").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByTestId("match").CountAsync());
        await PageChecks.ScreenshotAsync(page, "console-phone-2-no-match");

        // Supervisor adds an operator; that operator may search but not read the audit log (the API's 403, shown).
        await page.GetByTestId("nav-operators").ClickAsync();
        await page.Locator("#add-name").FillAsync("op-web");
        await page.GetByLabel("役割").SelectOptionAsync("operator");
        await page.GetByTestId("add-operator").ClickAsync();
        var password = await page.GetByTestId("added-password").InnerTextAsync();
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-phone-3-operator-added");
        await page.GetByTestId("sign-out").ClickAsync();
        await page.GetByTestId("signed-out").WaitForAsync();
        await SignInAsync(page, "op-web", password);
        await page.GotoAsync("/console/audit");
        Assert.Equal("operator-forbidden", await page.GetByTestId("error").GetAttributeAsync("data-code"));
        Assert.Contains("Your role may not do this", await page.GetByTestId("error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByTestId("audit-table").CountAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "console-phone-4-forbidden");
    }

    [Fact]
    public async Task Console_PostWithoutAntiforgeryTokenOrCookie_RefusedOrSentToSignIn()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(web.Server.Url) };
        using var signIn = new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "supervisor", ["Password"] = SupervisorPassword() });
        using var refused = await http.PostAsync("/console/sign-in", signIn);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(refused.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("mjpki-op=", StringComparison.Ordinal)));

        foreach (var path in new[] { "/console", "/console/audit", "/console/operators" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/console/sign-in", response.Headers.Location?.OriginalString);
        }

        // A forged session cookie is not a session.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/console");
        forged.Headers.Add("Cookie", "mjpki-op=CfDJ8forged");
        using var forgedResponse = await http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Redirect, forgedResponse.StatusCode);
    }

    private static async Task SignInAsync(IPage page, string name, string password)
    {
        if (!page.Url.EndsWith("/console/sign-in", StringComparison.Ordinal) && !page.Url.Contains("/console/sign-in?", StringComparison.Ordinal))
        {
            await page.GotoAsync("/console/sign-in");
        }

        await page.GetByLabel("オペレーター名").FillAsync(name);
        await page.GetByLabel("パスワード").FillAsync(password);
        await page.GetByTestId("sign-in").ClickAsync();
        await page.WaitForPageAsync(ConsoleHome());
    }

    [GeneratedRegex(@"/console$")]
    private static partial Regex ConsoleHome();

    /// <summary>The sandbox supervisor's password: the second line of the 0600 file the server wrote on start.</summary>
    private string SupervisorPassword() =>
        File.ReadAllLines(Path.Combine(web.Server.Root, "hotline-supervisor.txt"))[1].Trim();

    /// <summary>The seed flow with the real app code: a card from the office API, a phone applying, the batch issuing.</summary>
    private async Task<Guid> PersonWithPhoneCertificatesAsync(string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.Server.Url), Timeout = TimeSpan.FromSeconds(60) };
        var api = new ServerApi(http);
        var card = VirtualCard.CreateBlank("CARD2023", "1234");
        var issued = await api.IssueCardAsync(
            new CardIssueRequest(name, null, "male", BirthDate, "東京都千代田区永田町1-7", null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            CancellationToken.None);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));

        var clock = new OffsetClock((await api.GetClockAsync(CancellationToken.None)).Now - TimeProvider.System.GetUtcNow());
        var phone = VirtualPhone.Create("pixel-8", clock);
        var app = new PortalApp(phone, () => { }, api, new NoScreens(), clock);
        var receipt = await app.ApplyAsync(
            card.Applet,
            new ApplyOptions { CardPassword = "CARD2023", NewSigningPassword = "PHONE2023", NewAuthPin = "5678", Confirmed = true },
            CancellationToken.None);
        if (receipt.ProcessAfter > clock.GetUtcNow())
        {
            await api.ChangeClockAsync(new ClockChange(null, receipt.ProcessAfter, null), CancellationToken.None);
        }

        var personId = Guid.Parse(issued.PersonId);
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while ((await PhoneCertificatesAsync(personId)).Count(c => c.Status == (int)CertificateStatus.Issued) < 2)
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the phone certificates were not issued\n" + web.Server.Log);
            await Task.Delay(200);
        }

        return personId;
    }

    private async Task<List<CertificateEntity>> PhoneCertificatesAsync(Guid personId)
    {
        await using var db = new MjpkiDbContext(new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite($"Data Source={web.Server.DatabasePath};Mode=ReadOnly").Options);
        var list = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId && c.PhoneId != null).ToListAsync();
        SqliteConnection.ClearAllPools();
        return list;
    }

    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    private sealed class NoScreens : IAppScreens
    {
        public void Show(string titleJa, string titleEn, string? body = null)
        {
        }

        public void Progress(int percent, string labelJa, string labelEn)
        {
        }

        public string Ask(string promptJa, string promptEn, bool secret) => throw new InvalidOperationException("every answer is given up front");

        public bool Confirm(string promptJa, string promptEn) => true;
    }
}
