using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using MobileJpki.Core;
using Xunit.Abstractions;

namespace MobileJpki.Web.Tests;

/// <summary>
/// The seed's user flow clicked through in Chromium on the phone-app simulator: a card and a phone made on /app,
/// 利用申請 screen by screen, the waiting screen with the sandbox clock and the push notification, 利用登録 — checked on
/// the page and in the server's database; and the refusals of that flow.
/// </summary>
public sealed partial class SeedFlowTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private const string CardPassword = "CARD2023";

    [Fact]
    public async Task SeedFlow_BothKinds_RegistersTwoActiveCertificates()
    {
        var page = await web.NewPageAsync(phone: true);
        await page.GotoAsync("/app");
        await CheckAsync(page, "seed-01-app");

        await IssueCardAsync(page, "デジタル 花子");
        var phoneId = await CreatePhoneAsync(page, "pixel-8");
        await Expect(page.GetByTestId("offer")).ToContainTextAsync("スマホ用電子証明書が申請できます");
        await CheckAsync(page, "seed-02-home", desktopToo: true);

        await page.GetByTestId("apply").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("スマホ搭載でできること");
        await CheckAsync(page, "seed-03-about");
        await page.GetByRole(AriaRole.Button, new() { Name = "登録する" }).ClickAsync();

        await Expect(page.GetByTestId("step")).ToHaveAttributeAsync("data-step", "kinds");
        await Expect(page.GetByTestId("kind-signing")).ToBeCheckedAsync();
        await Expect(page.GetByTestId("kind-auth")).ToBeCheckedAsync();
        await CheckAsync(page, "seed-04-kinds");
        await page.GetByTestId("next").ClickAsync();

        await Expect(page.GetByTestId("step")).ToHaveAttributeAsync("data-step", "confirm");
        await page.GetByTestId("next").ClickAsync();
        await Expect(page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "not-confirmed");
        await CheckAsync(page, "seed-05-confirm");
        await page.GetByLabel("確認しました").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "申請する" }).ClickAsync();

        await Expect(page.GetByTestId("step")).ToHaveAttributeAsync("data-step", "card");
        await Expect(page.GetByTestId("signing-rules")).ToContainTextAsync("英大文字と数字を含む6文字から16文字");
        await Expect(page.GetByTestId("auth-rules")).ToContainTextAsync("数字4桁");
        await Expect(page.Locator(".reading .cardimg")).ToBeVisibleAsync();
        await CheckAsync(page, "seed-06-card", desktopToo: true);
        await FillPasswordsAsync(page, CardPassword, "PHONE2023", "5678");
        await page.GetByLabel("発行のお知らせを受け取るメールアドレス").FillAsync("hanako@example.jp");
        await page.GetByTestId("read-card").ClickAsync();

        await Expect(page.GetByTestId("step")).ToHaveAttributeAsync("data-step", "done", new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("read-ok")).ToContainTextAsync("読み取りに成功しました");
        await Expect(page.GetByText("読み取り完了")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("steps")).ToContainTextAsync("100%");
        await Expect(page.GetByTestId("complete")).ToContainTextAsync("申請を受け付けました");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("申請完了");
        await CheckAsync(page, "seed-07-applied");

        await page.GetByTestId("to-wait").ClickAsync();
        await Expect(page.GetByTestId("cutoff")).ToContainTextAsync("19:30以降の申請は翌日");
        Assert.Equal(0, CountCertificates(phoneId, status: 2));
        await CheckAsync(page, "seed-08-wait");

        // Outside the processing hours the sandbox clock is moved to the next processing time; within them the
        // certificates may be issued (and the page reloaded by its poll) before the button is pressed.
        await Expect(page.GetByTestId("push").Or(page.GetByTestId("advance-clock"))).ToBeVisibleAsync();
        if (await page.GetByTestId("push").CountAsync() == 0)
        {
            try
            {
                await page.GetByTestId("advance-clock").ClickAsync(new() { Timeout = 5_000 });
            }
            catch (TimeoutException)
            {
                // The poll reloaded the page with the notification meanwhile.
            }
        }

        await Expect(page.GetByTestId("push")).ToContainTextAsync("スマホ用電子証明書の発行が完了しました", new() { Timeout = 60_000 });
        await CheckAsync(page, "seed-09-push");

        await page.GetByTestId("register").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("利用登録");
        await CheckAsync(page, "seed-10-register");
        await page.GetByTestId("register").ClickAsync();
        await Expect(page.GetByTestId("registered")).ToBeVisibleAsync();
        await CheckAsync(page, "seed-11-registered", desktopToo: true);

        var shown = page.GetByTestId("certificate");
        Assert.Equal(2, await shown.CountAsync());
        var kinds = new HashSet<CertificateKind>();
        var serials = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("active", await shown.Nth(i).GetAttributeAsync("data-status"));
            using var cert = X509Certificate2.CreateFromPem(await shown.Nth(i).GetByTestId("pem").TextContentAsync());
            kinds.Add(CertificatePolicies.KindOf(cert)!.Value);
            serials.Add(cert.SerialNumber);
            Assert.Equal(cert.SerialNumber, await shown.Nth(i).GetAttributeAsync("data-serial"), ignoreCase: true);
        }

        Assert.True(kinds.SetEquals([CertificateKind.PhoneSigning, CertificateKind.PhoneAuth]));

        // The server's own record: both certificates of this phone are active (registered), with the serials shown.
        var rows = ReadCertificates(phoneId);
        Assert.Equal(2, rows.Count(r => r.Status == 2));
        Assert.True(serials.SetEquals(rows.Where(r => r.Status == 2).Select(r => r.Serial)));

        // The home screen now lists them as active, and the apply offer is gone.
        await page.GotoAsync($"/app/phones/{phoneId}");
        Assert.Equal(2, await page.Locator("[data-testid=certificate][data-status=active]").CountAsync());
        Assert.Equal(0, await page.GetByTestId("offer").CountAsync());
    }

    [Fact]
    public async Task Apply_WrongCardPasswordOrBadPhonePassword_RefusedWithChoicesKeptAndPasswordsEmpty()
    {
        var page = await web.NewPageAsync(phone: true);
        await page.GotoAsync("/app");
        await IssueCardAsync(page, "試験 次郎");
        var phoneId = await CreatePhoneAsync(page, "galaxy-s23");
        await page.GotoAsync($"/app/phones/{phoneId}/apply");
        await page.GetByTestId("next").ClickAsync();
        await page.GetByTestId("kind-auth").UncheckAsync();
        await page.GetByTestId("next").ClickAsync();
        await page.GetByTestId("confirmed").CheckAsync();
        await page.GetByTestId("next").ClickAsync();
        Assert.Equal(0, await page.Locator("#NewAuthPin").CountAsync());

        await FillPasswordsAsync(page, "WRONG2023", "PHONE2023", null);
        await page.Locator("#Email").FillAsync("jiro@example.jp");
        await page.GetByTestId("read-card").ClickAsync();
        var error = page.GetByTestId("error");
        await Expect(error).ToHaveAttributeAsync("data-code", "wrong-card-password");
        await Expect(error).ToContainTextAsync("残り");
        await Expect(error).ToContainTextAsync("tries left");
        Assert.Matches(TriesLeft(), await error.InnerTextAsync());
        await Expect(page.Locator("#Email")).ToHaveValueAsync("jiro@example.jp");
        Assert.Equal(0, await page.Locator("#NewAuthPin").CountAsync());
        await Expect(page.Locator("#NewSigningPassword")).ToBeVisibleAsync();
        foreach (var field in new[] { "#CardPassword", "#NewSigningPassword", "#NewSigningPasswordConfirmation" })
        {
            await Expect(page.Locator(field)).ToHaveValueAsync(string.Empty);
        }

        Assert.DoesNotContain("WRONG2023", await page.ContentAsync(), StringComparison.Ordinal);
        await PageChecks.ScreenshotAsync(page, "seed-bad-card-password");
        await PageChecks.AssertAccessibleAsync(page);

        // A phone password against the rules: refused with the rules, before the card is read.
        await FillPasswordsAsync(page, CardPassword, "short", null);
        await page.GetByTestId("read-card").ClickAsync();
        await Expect(error).ToHaveAttributeAsync("data-code", "bad-new-password");
        await Expect(page.GetByTestId("signing-rules")).ToContainTextAsync("英大文字と数字を含む6文字から16文字");
        await Expect(page.Locator("#Email")).ToHaveValueAsync("jiro@example.jp");
        await Expect(page.Locator("#NewSigningPassword")).ToHaveValueAsync(string.Empty);
        await PageChecks.ScreenshotAsync(page, "seed-bad-phone-password");
        Assert.Empty(ReadCertificates(phoneId));

        // The home screen in English (the toggle), nothing applied for yet.
        await page.GetByTestId("lang-toggle").ClickAsync();
        await page.GotoAsync($"/app/phones/{phoneId}");
        await Expect(page.GetByTestId("offer")).ToContainTextAsync("You can apply");
    }

    [Fact]
    public async Task PhonePages_OtherBrowserOrMissingToken_NotFoundOrRefused()
    {
        var owner = await web.NewPageAsync(phone: true);
        await owner.GotoAsync("/app");
        var phoneId = await CreatePhoneAsync(owner, "iphone-12");
        await Expect(owner.GetByTestId("unsupported")).ToBeVisibleAsync();
        await CheckAsync(owner, "seed-unsupported-phone");

        var stranger = await web.NewPageAsync(phone: true);
        foreach (var path in new[] { "", "/apply", "/wait", "/register" })
        {
            var response = await stranger.GotoAsync($"/app/phones/{phoneId}{path}");
            Assert.Equal((int)HttpStatusCode.NotFound, response!.Status);
            await Expect(stranger.GetByTestId("not-found")).ToBeVisibleAsync();
            Assert.DoesNotContain("iPhone", await stranger.ContentAsync(), StringComparison.Ordinal);
        }

        await PageChecks.AssertAccessibleAsync(stranger);
        var notice = await stranger.APIRequest.GetAsync($"/app/phones/{phoneId}/wait?handler=Notice");
        Assert.Equal((int)HttpStatusCode.NotFound, notice.Status);
        await stranger.GotoAsync("/app");
        Assert.Equal(0, await stranger.GetByTestId("phone").CountAsync());

        // A form post without the antiforgery token (a cross-site request) is refused and makes nothing.
        using var http = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var post = await http.PostAsync("/app?handler=Phone", new FormUrlEncodedContent(new Dictionary<string, string> { ["ModelId"] = "pixel-8" }));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        var forged = await owner.APIRequest.PostAsync($"/app/phones/{phoneId}/wait?handler=Clock", new() { Form = owner.APIRequest.CreateFormData() });
        Assert.Equal((int)HttpStatusCode.BadRequest, forged.Status);
        await owner.GotoAsync("/app");
        Assert.Equal(1, await owner.GetByTestId("phone").CountAsync());
    }

    [Theory]
    [InlineData("auth", false, true)]
    [InlineData("sign", true, false)]
    [InlineData(null, true, true)]
    public async Task Apply_KindAskedByMyPage_OnlyThatKindTicked(string? kind, bool signing, bool auth)
    {
        var page = await web.NewPageAsync(phone: true);
        var phoneId = await CreatePhoneAsync(page, "pixel-8");
        await page.GotoAsync($"/app/phones/{phoneId}/apply" + (kind is null ? string.Empty : "?kinds=" + kind));
        await page.GetByTestId("next").ClickAsync();
        await Expect(page.GetByTestId("step")).ToHaveAttributeAsync("data-step", "kinds");
        Assert.Equal(signing, await page.GetByTestId("kind-signing").IsCheckedAsync());
        Assert.Equal(auth, await page.GetByTestId("kind-auth").IsCheckedAsync());
    }

    private static async Task IssueCardAsync(IPage page, string name)
    {
        await page.GotoAsync("/app");
        await page.GetByLabel("氏名").FillAsync(name);
        await page.GetByLabel("生年月日").FillAsync("1990-01-02");
        await page.GetByLabel("性別").SelectOptionAsync("female");
        await page.GetByLabel("住所").FillAsync("東京都千代田区紀尾井町1-3");
        await page.GetByLabel("署名用電子証明書のパスワード").FillAsync(CardPassword);
        await page.GetByLabel("利用者証明用電子証明書の暗証番号").FillAsync("1234");
        await page.GetByTestId("create-card").ClickAsync();
        await Expect(page.GetByTestId("card-issued")).ToContainTextAsync(name);
        await Expect(page.GetByTestId("card")).ToContainTextAsync(name);
    }

    private static async Task<string> CreatePhoneAsync(IPage page, string model)
    {
        await page.GotoAsync("/app");
        await page.GetByLabel("機種").SelectOptionAsync(model);
        await page.GetByTestId("create-phone").ClickAsync();
        await page.WaitForPageAsync(PhoneUrl());
        return PhoneUrl().Match(page.Url).Groups[1].Value;
    }

    private static async Task FillPasswordsAsync(IPage page, string card, string signing, string? auth)
    {
        await page.Locator("#CardPassword").FillAsync(card);
        await page.Locator("#NewSigningPassword").FillAsync(signing);
        await page.Locator("#NewSigningPasswordConfirmation").FillAsync(signing);
        if (auth is not null)
        {
            await page.Locator("#NewAuthPin").FillAsync(auth);
            await page.Locator("#NewAuthPinConfirmation").FillAsync(auth);
        }
    }

    /// <summary>Screenshot and axe at phone width, and when asked at desktop width as well (then back to the phone).</summary>
    private async Task CheckAsync(IPage page, string name, bool desktopToo = false)
    {
        // Elapsed time per step in the output: a slow screen shows up in the test log.
        output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1}s {name}");
        await PageChecks.ScreenshotAsync(page, name);
        await PageChecks.AssertAccessibleAsync(page);
        if (desktopToo)
        {
            var phone = page.ViewportSize!;
            await page.SetViewportSizeAsync(1280, 900);
            await PageChecks.ScreenshotAsync(page, name + "-desktop");
            await PageChecks.AssertAccessibleAsync(page);
            await page.SetViewportSizeAsync(phone.Width, phone.Height);
        }
    }

    private int CountCertificates(string phoneId, int status) => ReadCertificates(phoneId).Count(r => r.Status == status);

    /// <summary>The Certificates rows of one phone, read-only from the server's SQLite file.</summary>
    private List<(string Serial, int Kind, int Status)> ReadCertificates(string phoneId)
    {
        using var db = new SqliteConnection($"Data Source={web.Server.DatabasePath};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT Serial, Kind, Status FROM Certificates WHERE PhoneId = $phone";
        command.Parameters.AddWithValue("$phone", phoneId);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, int, int)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)));
        }

        return rows;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex(@"/app/phones/([0-9a-f]{16})$")]
    private static partial Regex PhoneUrl();

    [GeneratedRegex(@"残り\d+回.*\d+ tries left", RegexOptions.Singleline)]
    private static partial Regex TriesLeft();
}
