using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MobileJpki.Web.Tests;

/// <summary>
/// The landing page (its links into the browser UI, axe) and what keeps browsers apart: each gets its own random,
/// HttpOnly, SameSite=Strict workspace cookie, a forged one is replaced rather than trusted, and the language choice
/// follows the person through every area.
/// </summary>
public sealed class HomeAndIsolationTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Theory]
    [InlineData("home-app", "/app")]
    [InlineData("home-office", "/office")]
    [InlineData("home-console", "/console")]
    public async Task Landing_BigLink_OpensItsArea(string testId, string path)
    {
        var page = await web.NewPageAsync(phone: false);
        await page.GotoAsync("/");
        var link = page.GetByTestId(testId);
        Assert.Equal(path, await link.GetAttributeAsync("href"));

        var response = await NavigateByAsync(page, link);

        Assert.Equal(200, response.Status);
        Assert.StartsWith(web.Server.Url + path, page.Url, StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("h1").CountAsync());
        Assert.Equal(0, await page.GetByTestId("error").CountAsync());
        await PageChecks.ScreenshotAsync(page, $"home-link{path.Replace('/', '-')}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Landing_PhoneAndDesktopWidth_PassesAxeWithTheUiFirst(bool phone)
    {
        var page = await web.NewPageAsync(phone);
        var response = await page.GotoAsync("/");

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Contains("default-src 'self'", await response.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);

        // The UI section comes before the CA certificates, the API and the demo.
        var headings = await page.Locator("main h2").AllInnerTextsAsync();
        Assert.Equal(4, headings.Count);
        Assert.Contains("In the browser", headings[0], StringComparison.Ordinal);
        Assert.Contains("CA", headings[1], StringComparison.Ordinal);
        foreach (var (id, ja, en) in new[]
        {
            ("home-app", "スマホアプリ", "Phone app"),
            ("home-office", "市区町村窓口", "Municipal office"),
            ("home-console", "コールセンター", "Operator console"),
        })
        {
            var text = await page.GetByTestId(id).InnerTextAsync();
            Assert.Contains(ja, text, StringComparison.Ordinal);
            Assert.Contains(en, text, StringComparison.Ordinal);
        }

        // The stylesheet applied (no inline style under the CSP): the links are laid out as cards.
        Assert.Equal("flex", await page.GetByTestId("home-app").EvaluateAsync<string>("e => getComputedStyle(e).display"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, $"home-{(phone ? "phone" : "desktop")}");
    }

    [Fact]
    public async Task Landing_Html_HasNoInlineScriptStyleOrForeignAsset()
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var response = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(new Regex(@"\son[a-z]+=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"(src|href)=""(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.Contains("href=\"/ui/assets/site.css\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workspace_TwoBrowsers_GetDifferentHttpOnlyStrictCookies()
    {
        var first = await web.NewPageAsync();
        var second = await web.NewPageAsync();
        await first.GotoAsync("/app");
        await second.GotoAsync("/app");

        var a = await WorkspaceCookieAsync(first.Context);
        var b = await WorkspaceCookieAsync(second.Context);

        Assert.NotEqual(a.Value, b.Value);
        foreach (var cookie in new[] { a, b })
        {
            Assert.Matches("^[A-Za-z0-9_-]{43}$", cookie.Value);
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
            Assert.Equal("/", cookie.Path);
        }

        // The same browser keeps its workspace from page to page: the cookie is not replaced on the next visit.
        await first.ReloadAsync();
        Assert.Equal(a.Value, (await WorkspaceCookieAsync(first.Context)).Value);
        Assert.Equal(0, await first.Locator("[data-testid=error]").CountAsync());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Workspace_ForgedCookie_GetsAFreshWorkspaceNotAnErrorPage(string forged)
    {
        var page = await web.NewPageAsync();
        await page.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "mjpki-sim", Value = forged, Url = web.Server.Url }]);

        var response = await page.GotoAsync("/app");

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal(0, await page.GetByTestId("error").CountAsync());
        Assert.Equal(1, await page.Locator("h1").CountAsync());
        var cookie = await WorkspaceCookieAsync(page.Context);
        Assert.NotEqual(forged, cookie.Value);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", cookie.Value);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // A path-like value never became a directory outside the simulator's own.
        Assert.False(Directory.Exists(Path.Combine(web.Server.Root, "etc")));
    }

    [Fact]
    public async Task Language_EnglishChosenOnApp_StaysAcrossOfficeAndConsole()
    {
        var page = await web.NewPageAsync(phone: false);
        await page.GotoAsync("/app");
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        await page.GetByTestId("lang-toggle").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Menu" });
        foreach (var (name, path) in new[] { ("Municipal office", "/office"), ("Operator console", "/console"), ("Phone app", "/app") })
        {
            var response = await NavigateByAsync(page, nav.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }));
            Assert.Equal(200, response.Status);
            Assert.StartsWith(web.Server.Url + path, page.Url, StringComparison.Ordinal);
            Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
            Assert.Equal("日本語", await page.GetByTestId("lang-toggle").InnerTextAsync());
        }

        var lang = (await page.Context.CookiesAsync()).Single(c => c.Name == "mjpki-lang");
        Assert.Equal("en", lang.Value);
        Assert.True(lang.HttpOnly);
        await PageChecks.ScreenshotAsync(page, "home-language-kept-en");
    }

    /// <summary>Clicks <paramref name="link"/> and returns the page's final answer (after any redirect).</summary>
    private static async Task<IResponse> NavigateByAsync(IPage page, ILocator link)
    {
        var response = await page.RunAndWaitForResponseAsync(
            () => link.ClickAsync(),
            r => r.Request.IsNavigationRequest && r.Frame == page.MainFrame && r.Status is < 300 or >= 400);
        // Not WaitForLoadState: after a click-started navigation its wait sometimes never ends in this Chromium (see
        // PageChecks.WaitForPageAsync); the layout's footer, the last element of every page, says the page is there.
        await page.Locator("body > footer.site").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        return response;
    }

    private static async Task<BrowserContextCookiesResult> WorkspaceCookieAsync(IBrowserContext context)
    {
        var cookies = await context.CookiesAsync();
        var found = cookies.Where(c => c.Name == "mjpki-sim").ToList();
        Assert.True(found.Count == 1, "expected one mjpki-sim cookie, got: " + string.Join(", ", cookies.Select(c => c.Name)));
        return found[0];
    }
}
