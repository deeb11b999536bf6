using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MobileJpki.Web.Tests;

/// <summary>
/// Portal login with the phone's PIN, e-applications signed in the SE, the information views and the usage log,
/// clicked through in Chromium and checked against the server's database.
/// </summary>
public sealed class PortalTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task Portal_LoginSubmitInfoUsageLogout_ShownAndStored()
    {
        var page = await web.NewPageAsync(phone: true);
        await page.GotoAsync("/app/phones/0123456789abcdef/login");
        var setup = new SimulatorSetup(web, page);
        var cardId = await setup.IssueCardAsync("門戸 太郎");
        var phoneId = await setup.NewPhoneAsync();
        await setup.ApplyAndRegisterAsync(phoneId, cardId);

        // Without a session the portal pages send the person to log in.
        await page.GotoAsync($"/app/phones/{phoneId}/eapplications");
        await Assertions.Expect(page.GetByTestId("need-login")).ToBeVisibleAsync();
        await page.GetByTestId("go-login").ClickAsync();
        await PageChecks.AssertAccessibleAsync(page);

        // A wrong PIN: tries left, in both languages; nothing typed comes back.
        await page.GetByTestId("pin").FillAsync("0000");
        await page.GetByTestId("do-login").ClickAsync();
        var error = page.GetByTestId("error");
        await Assertions.Expect(error).ToHaveAttributeAsync("data-code", "wrong-phone-password");
        await Assertions.Expect(error).ToContainTextAsync("残り2回");
        await Assertions.Expect(error).ToContainTextAsync("2 tries left");
        Assert.Equal(string.Empty, await page.GetByTestId("pin").InputValueAsync());
        await PageChecks.ScreenshotAsync(page, "portal-login-wrong-pin");

        await page.GetByTestId("pin").FillAsync(SimulatorSetup.PhonePin);
        await page.GetByTestId("do-login").ClickAsync();
        await page.WaitForPageAsync(new Regex("/eapplications$"));
        await Assertions.Expect(page.GetByTestId("history-empty")).ToBeVisibleAsync();
        await PageChecks.AssertAccessibleAsync(page);

        // 転出届: a bad field is refused by the server and the form keeps what was typed; then it goes through.
        await page.GetByTestId("type-moving-out").ClickAsync();
        var today = await ServerTodayAsync(setup);
        await page.GetByLabel("転出予定日").FillAsync(today);
        await page.GetByLabel("転出先の郵便番号").FillAsync("1000001");
        await page.GetByLabel("転出先の住所").FillAsync("大阪府大阪市北区梅田1-1");
        await page.GetByLabel("転出する人数").FillAsync("2");
        await page.GetByTestId("sign-password").FillAsync(SimulatorSetup.PhonePassword);
        await page.GetByTestId("submit-eapp").ClickAsync();
        await Assertions.Expect(page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "bad-form");
        Assert.Equal("大阪府大阪市北区梅田1-1", await page.GetByLabel("転出先の住所").InputValueAsync());
        Assert.Equal(string.Empty, await page.GetByTestId("sign-password").InputValueAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "eapplication-refused");

        await page.GetByLabel("転出先の郵便番号").FillAsync("100-0001");
        await page.GetByTestId("sign-password").FillAsync(SimulatorSetup.PhonePassword);
        await page.GetByTestId("submit-eapp").ClickAsync();
        await Assertions.Expect(page.GetByTestId("received")).ToContainTextAsync("転出届");
        var row = page.GetByTestId("history").Locator("tbody tr").First;
        Assert.Equal("moving-out", await row.GetAttributeAsync("data-type"));
        var id = (await row.GetAttributeAsync("data-id"))!;
        var stored = setup.Query("SELECT lower(Id), Type || ' ' || Status || ' ' || length(Cms) FROM EApplications WHERE lower(Id) = lower($p)", id);
        Assert.Matches("^moving-out received [1-9][0-9]+$", Assert.Single(stored).Value);
        await PageChecks.ScreenshotAsync(page, "eapplication-received");

        // The information views.
        await page.GotoAsync($"/app/phones/{phoneId}/info");
        await Assertions.Expect(page.GetByTestId("info-table").Locator("tbody tr").First).ToBeVisibleAsync();
        await page.GetByTestId("view-costs").ClickAsync();
        await Assertions.Expect(page.GetByTestId("info-title")).ToContainTextAsync("医療費");
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "info-costs");

        // The usage log lists the login and the e-application.
        await page.GotoAsync($"/app/phones/{phoneId}/usage");
        var usage = page.GetByTestId("usage");
        await Assertions.Expect(usage.Locator("tr[data-kind=login]")).ToHaveCountAsync(1);
        await Assertions.Expect(usage.Locator("tr[data-kind=e-application]")).ToHaveCountAsync(1);
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "usage");

        // The session ends on the server (sandbox clock past 30 minutes): log in again.
        await setup.Api.ChangeClockAsync(new Core.Protocol.ClockChange("PT31M", null, null), CancellationToken.None);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("need-login")).ToContainTextAsync("もう一度ログインしてください");
        await Assertions.Expect(page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "session-invalid");

        // Log in again, then log out: the portal pages need a login once more.
        await page.GotoAsync($"/app/phones/{phoneId}/login");
        await page.GetByTestId("pin").FillAsync(SimulatorSetup.PhonePin);
        await page.GetByTestId("do-login").ClickAsync();
        await page.WaitForPageAsync(new Regex("/eapplications$"));
        await page.GotoAsync($"/app/phones/{phoneId}/login");
        await page.GetByTestId("logout").ClickAsync();
        await page.WaitForPageAsync(new Regex("/mypage\\?done=logged-out$"));
        await page.GotoAsync($"/app/phones/{phoneId}/usage");
        await Assertions.Expect(page.GetByTestId("need-login")).ToBeVisibleAsync();

        // English at desktop width once.
        var desk = await web.NewPageAsync(phone: false, locale: "en-US");
        var sim = (await page.Context.CookiesAsync()).Single(c => c.Name == "mjpki-sim");
        await desk.Context.AddCookiesAsync([new Cookie { Name = sim.Name, Value = sim.Value, Url = web.Server.Url }, new Cookie { Name = "mjpki-lang", Value = "en", Url = web.Server.Url }]);
        await desk.GotoAsync($"/app/phones/{phoneId}/login");
        await Assertions.Expect(desk.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Log in to the portal");
        await PageChecks.AssertAccessibleAsync(desk);
        await PageChecks.ScreenshotAsync(desk, "portal-login-desktop-en");
    }

    private static async Task<string> ServerTodayAsync(SimulatorSetup setup) =>
        (await setup.Api.GetServerTimeAsync(CancellationToken.None)).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
