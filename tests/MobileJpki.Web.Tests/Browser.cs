using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Microsoft.Playwright;

namespace MobileJpki.Web.Tests;

/// <summary>
/// The real server as a child process and Debian's Chromium driven by Playwright (launched through its executable
/// path: no browser download). One per test class; each test opens its own browser context, so cookies — and with
/// them the simulator's devices — are never shared between tests unless a test means to.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    /// <summary>Where Debian puts Chromium; <c>MJPKI_CHROMIUM</c> overrides it.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MJPKI_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ServerProcess Server { get; } = new();

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is not at {ChromiumPath}: ./test.sh installs Debian's chromium package.");
        await Server.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        });
    }

    /// <summary>A fresh browser (own cookies) at phone width (390×844, touch) or desktop width (1280×900).</summary>
    public async Task<IPage> NewPageAsync(bool phone = true, string locale = "ja-JP")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.Url,
            Locale = locale,
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>What every browser test checks besides its own assertions: screenshots kept as artifacts, and axe.</summary>
public static class PageChecks
{
    private static readonly string AxeSource = new BundledAxeScriptProvider().GetScript();

    /// <summary>Screenshots go to <c>MJPKI_TEST_ARTIFACTS</c> (./test.sh: .test-run/artifacts) or next to the tests.</summary>
    public static string ArtifactsDirectory =>
        Directory.CreateDirectory(Environment.GetEnvironmentVariable("MJPKI_TEST_ARTIFACTS") is { Length: > 0 } d
            ? Path.Combine(d, "screenshots")
            : Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    /// <summary>
    /// Waits until the page at <paramref name="url"/> is there: its URL committed and the layout's footer (the last
    /// element of every page) parsed. Not Playwright's own WaitForURL, whose wait for a load state (even "commit")
    /// sometimes never ends in this Chromium after a form post and redirect.
    /// </summary>
    public static async Task WaitForPageAsync(this IPage page, Regex url)
    {
        // page.Url follows the main frame's committed navigations; polling it needs no lifecycle event at all.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!url.IsMatch(page.Url))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"the page stayed at {page.Url}, never reaching {url}");
            await Task.Delay(50);
        }

        await page.Locator("body > footer.site").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
    }

    /// <summary>A full-page screenshot named after the test and step.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, safe + ".png"), FullPage = true });
    }

    /// <summary>
    /// Fails when the page is wider than the viewport, or when axe-core finds any serious or critical violation (named
    /// by rule and element).
    /// </summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        // Usable at this width: nothing pushes the page sideways (long serials and tables wrap or scroll inside).
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 1, $"{page.Url} is {overflow}px wider than the {page.ViewportSize?.Width}px viewport");

        // axe-core as Deque bundles it, evaluated in the page (DevTools evaluation is not subject to the page's CSP) and
        // run for violations only; reading back just the serious and critical ones keeps a check near a quarter second,
        // where a full report of every pass took seconds per page.
        await page.EvaluateAsync(AxeSource);
        var bad = await page.EvaluateAsync<string[]>(
            """
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', ')}`)
            """);
        Assert.True(bad.Length == 0, $"axe on {page.Url}:\n" + string.Join("\n", bad));
    }
}
