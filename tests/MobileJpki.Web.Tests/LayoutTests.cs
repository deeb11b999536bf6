using System.Net;
using Microsoft.Playwright;

namespace MobileJpki.Web.Tests;

/// <summary>The frame every page shares: language toggle, navigation, locally served assets, security headers, axe.</summary>
public sealed class LayoutTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task App_LanguageToggle_SwitchesBetweenJapaneseAndEnglishAndStaysOnThePage(bool phone)
    {
        var page = await web.NewPageAsync(phone);
        await page.GotoAsync("/app");
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("スマホアプリ", await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link).First.InnerTextAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, $"layout-app-ja-{(phone ? "phone" : "desktop")}");

        // The toggle goes through /ui/lang and back to /app: wait for the page it lands on, not for a URL it already has.
        await page.GetByTestId("lang-toggle").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        Assert.EndsWith("/app", page.Url, StringComparison.Ordinal);
        Assert.Equal("Phone app", await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link).First.InnerTextAsync());
        await PageChecks.ScreenshotAsync(page, $"layout-app-en-{(phone ? "phone" : "desktop")}");

        await page.GetByTestId("lang-toggle").ClickAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ja");
        Assert.EndsWith("/app", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PageChecks_InaccessibleOrTooWidePage_Fail()
    {
        // The checks every UI test relies on must be able to fail: an unlabeled input and an image without alt text.
        var page = await web.NewPageAsync(phone: true);
        await page.SetContentAsync("<!doctype html><html lang=\"en\"><head><title>t</title></head><body><main><h1>t</h1><img src=\"data:,\"><input type=\"text\"></main></body></html>");
        var axe = await Assert.ThrowsAnyAsync<Exception>(() => PageChecks.AssertAccessibleAsync(page));
        Assert.Contains("image-alt", axe.Message, StringComparison.Ordinal);
        Assert.Contains("label", axe.Message, StringComparison.Ordinal);

        await page.SetContentAsync("<!doctype html><html lang=\"en\"><head><title>t</title></head><body><main><h1>t</h1><div style=\"width:2000px\">wide</div></main></body></html>");
        var wide = await Assert.ThrowsAnyAsync<Exception>(() => PageChecks.AssertAccessibleAsync(page));
        Assert.Contains("wider than", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assets_ServedLocally_PagesCarryStrictSecurityHeaders()
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var css = await http.GetAsync("/ui/assets/site.css");
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        using var missing = await http.GetAsync("/ui/assets/nope.css");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var page = await http.GetAsync("/app");
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\n/evil.example")]
    public async Task LanguageToggle_ForeignReturnUrl_StaysOnThisSite(string returnUrl)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(web.Server.Url) };
        using var response = await http.GetAsync("/ui/lang?to=en&returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/app", response.Headers.Location?.OriginalString);
    }
}
