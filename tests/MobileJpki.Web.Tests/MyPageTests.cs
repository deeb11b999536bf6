using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MobileJpki.Web.Tests;

/// <summary>
/// My Page and the lifecycle actions clicked through in Chromium: status of each certificate, 一時利用停止 and 解除,
/// パスワード初期化, 機種変更 on a second phone, 失効 — each checked on the page and in the server's database.
/// </summary>
public sealed class MyPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task MyPage_SuspendResumeResetDeviceChangeRevoke_PageAndServerAgree()
    {
        var page = await web.NewPageAsync(phone: true);

        // A phone id this browser does not have: not found (and the visit gives the browser its workspace).
        var missing = await page.GotoAsync("/app/phones/0123456789abcdef/mypage");
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.GetByTestId("not-found")).ToBeVisibleAsync();

        var setup = new SimulatorSetup(web, page);
        var cardId = await setup.IssueCardAsync("画面 花子");
        var phoneId = await setup.NewPhoneAsync();
        await setup.ApplyAndRegisterAsync(phoneId, cardId);

        // Both certificates active, with serials the server has as active.
        await page.GotoAsync($"/app/phones/{phoneId}/mypage");
        await AssertStatusAsync(page, "sign", "active");
        await AssertStatusAsync(page, "auth", "active");
        var signSerial = await page.GetByTestId("serial-sign").InnerTextAsync();
        var authSerial = await page.GetByTestId("serial-auth").InnerTextAsync();
        Assert.Equal("active", setup.CertificateStatuses(phoneId)[signSerial]);
        Assert.Equal("active", setup.CertificateStatuses(phoneId)[authSerial]);
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "mypage-active");

        // 一時利用停止.
        await page.GetByTestId("suspend").ClickAsync();
        await PageChecks.AssertAccessibleAsync(page);
        await page.GetByTestId("confirm-suspend").ClickAsync();
        await page.WaitForPageAsync(new Regex("/mypage\\?done=suspended$"));
        await AssertStatusAsync(page, "sign", "suspended");
        await AssertStatusAsync(page, "auth", "suspended");
        Assert.Equal("suspended", setup.CertificateStatuses(phoneId)[authSerial]);
        await PageChecks.ScreenshotAsync(page, "mypage-suspended");

        // 解除: a wrong card password first (kept choice, no password echoed), then the right one.
        await page.GetByTestId("resume").ClickAsync();
        await PageChecks.AssertAccessibleAsync(page);
        await page.GetByTestId("card-password").FillAsync("WRONG999");
        await page.GetByTestId("NewSigningPassword").FillAsync("RESUME2024");
        await page.GetByTestId("NewSigningPasswordConfirmation").FillAsync("RESUME2024");
        await page.GetByTestId("confirm-resume").ClickAsync();
        var error = page.GetByTestId("error");
        await Assertions.Expect(error).ToHaveAttributeAsync("data-code", "wrong-card-password");
        await Assertions.Expect(error).ToContainTextAsync("残り4回");
        await Assertions.Expect(error).ToContainTextAsync("tries left");
        Assert.Equal(string.Empty, await page.GetByTestId("card-password").InputValueAsync());
        Assert.Equal(cardId, await page.GetByTestId("card").InputValueAsync());
        await PageChecks.ScreenshotAsync(page, "resume-error");

        await page.GetByTestId("card-password").FillAsync(SimulatorSetup.CardPassword);
        await page.GetByTestId("NewSigningPassword").FillAsync("RESUME2024");
        await page.GetByTestId("NewSigningPasswordConfirmation").FillAsync("RESUME2024");
        await page.GetByTestId("confirm-resume").ClickAsync();
        await Assertions.Expect(page.GetByTestId("resumed")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("register-needed")).ToContainTextAsync("利用登録");
        Assert.Equal("/app/phones/" + phoneId + "/register", await page.GetByTestId("go-register").GetAttributeAsync("href"));
        var afterResume = setup.CertificateStatuses(phoneId);
        Assert.Equal("active", afterResume[authSerial]);
        Assert.Equal("revoked", afterResume[signSerial]);

        // The new signing certificate after the notice and 利用登録 (W1's pages; here the real app does it).
        await setup.WaitAndRegisterAsync(phoneId);
        await page.GotoAsync($"/app/phones/{phoneId}/mypage");
        await AssertStatusAsync(page, "auth", "active");
        await AssertStatusAsync(page, "sign", "active");
        var newSignSerial = await page.GetByTestId("serial-sign").InnerTextAsync();
        Assert.NotEqual(signSerial, newSignSerial);

        // パスワード初期化 of the auth PIN with the card's auth PIN: a locked PIN shows the way out.
        await setup.WithAppAsync(phoneId, app =>
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Throws<App.AppException>(() => app.CheckPhonePassword(Card.PinKind.Auth, "0000"));
            }

            return Task.CompletedTask;
        });
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("locked-auth")).ToBeVisibleAsync();
        await page.GetByTestId("password-reset").ClickAsync();
        await Assertions.Expect(page.GetByTestId("counter-auth")).ToContainTextAsync("ロック中");
        await PageChecks.AssertAccessibleAsync(page);
        await page.GetByTestId("kind-auth").CheckAsync();
        await page.GetByTestId("card-secret").FillAsync(SimulatorSetup.CardPin);
        await page.GetByTestId("new-password").FillAsync("2468");
        await page.GetByTestId("new-password-confirmation").FillAsync("2468");
        await page.GetByTestId("confirm-reset").ClickAsync();
        await page.WaitForPageAsync(new Regex("/mypage\\?done=reset$"));
        await Assertions.Expect(page.GetByTestId("locked-auth")).ToHaveCountAsync(0);
        await setup.WithAppAsync(phoneId, app =>
        {
            Assert.Equal(3, app.CheckPhonePassword(Card.PinKind.Auth, "2468").TriesLeft);
            return Task.CompletedTask;
        });

        // 機種変更 on a second phone of this browser: refused without the tick, then queued; on issue the old phone's go.
        var newPhoneId = await setup.NewPhoneAsync("pixel-8");
        await page.GotoAsync($"/app/phones/{newPhoneId}/mypage");
        await AssertStatusAsync(page, "sign", "none");
        await page.GetByTestId("device-change").ClickAsync();
        await Assertions.Expect(page.GetByTestId("device-change-warning")).ToContainTextAsync("これまでのスマホのスマホ用電子証明書は失効します");
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "device-change");
        await FillDeviceChangeAsync(page);
        await page.GetByTestId("confirm-device-change").ClickAsync();
        await Assertions.Expect(page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "not-confirmed");
        Assert.Equal("active", setup.CertificateStatuses(phoneId)[newSignSerial]);
        await FillDeviceChangeAsync(page);
        await page.GetByTestId("confirm-box").CheckAsync();
        await page.GetByTestId("confirm-device-change").ClickAsync();
        await page.WaitForPageAsync(new Regex($"/app/phones/{newPhoneId}/wait$"));
        await setup.WaitAndRegisterAsync(newPhoneId);
        Assert.All(setup.CertificateStatuses(newPhoneId).Values, s => Assert.Equal("active", s));
        Assert.Equal("revoked", setup.CertificateStatuses(phoneId)[newSignSerial]);
        Assert.Equal("revoked", setup.CertificateStatuses(phoneId)[authSerial]);
        await page.GotoAsync($"/app/phones/{phoneId}/mypage");
        await AssertStatusAsync(page, "sign", "revoked");
        await AssertStatusAsync(page, "auth", "revoked");

        // 失効 on the new phone: the warning, refused without the tick, then both revoked and the SE emptied.
        await page.GotoAsync($"/app/phones/{newPhoneId}/mypage");
        await AssertStatusAsync(page, "sign", "active");
        await page.GetByTestId("revoke").ClickAsync();
        await Assertions.Expect(page.GetByTestId("revoke-warning")).ToContainTextAsync("削除");
        await PageChecks.AssertAccessibleAsync(page);
        await page.GetByTestId("confirm-revoke").ClickAsync();
        await Assertions.Expect(page.GetByTestId("error")).ToHaveAttributeAsync("data-code", "not-confirmed");
        await page.GetByTestId("confirm-box").CheckAsync();
        await page.GetByTestId("confirm-revoke").ClickAsync();
        await page.WaitForPageAsync(new Regex("/mypage\\?done=revoked$"));
        await Assertions.Expect(page.GetByTestId("done")).ToContainTextAsync("削除されました");
        await AssertStatusAsync(page, "sign", "revoked");
        await AssertStatusAsync(page, "auth", "revoked");
        Assert.All(setup.CertificateStatuses(newPhoneId).Values, s => Assert.Equal("revoked", s));
        await setup.WithAppAsync(newPhoneId, app =>
        {
            Assert.Empty(App.PortalApp.ReadCertificates(app.Phone));
            return Task.CompletedTask;
        });
        await PageChecks.ScreenshotAsync(page, "mypage-revoked");

        // Desktop width once.
        var desk = await web.NewPageAsync(phone: false);
        var sim = (await page.Context.CookiesAsync()).Single(c => c.Name == "mjpki-sim");
        await desk.Context.AddCookiesAsync([new Cookie { Name = sim.Name, Value = sim.Value, Url = web.Server.Url }]);
        await desk.GotoAsync($"/app/phones/{phoneId}/mypage");
        await AssertStatusAsync(desk, "auth", "revoked");
        await PageChecks.AssertAccessibleAsync(desk);
        await PageChecks.ScreenshotAsync(desk, "mypage-desktop");
    }

    [Fact]
    public async Task MyPage_AnotherBrowser_CannotSeeThePhone()
    {
        var page = await web.NewPageAsync();
        await page.GotoAsync("/app/phones/0123456789abcdef/mypage");
        var setup = new SimulatorSetup(web, page);
        var phoneId = await setup.NewPhoneAsync();
        await page.GotoAsync($"/app/phones/{phoneId}/mypage");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("マイページ");

        var other = await web.NewPageAsync();
        foreach (var path in new[] { "mypage", "suspend", "revoke", "login", "eapplications", "usage" })
        {
            var response = await other.GotoAsync($"/app/phones/{phoneId}/{path}");
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(other.GetByTestId("not-found")).ToBeVisibleAsync();
        }

        await PageChecks.AssertAccessibleAsync(other);

        // Nothing of the phone shows (its model name is on its My Page in the owner's browser).
        Assert.Contains("Google Pixel 8", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Google Pixel 8", await other.ContentAsync(), StringComparison.Ordinal);
    }

    private static async Task AssertStatusAsync(IPage page, string kind, string status) =>
        await Assertions.Expect(page.GetByTestId("cert-" + kind)).ToHaveAttributeAsync("data-status", status);

    private static async Task FillDeviceChangeAsync(IPage page)
    {
        await page.GetByTestId("card-password").FillAsync(SimulatorSetup.CardPassword);
        await page.GetByTestId("NewSigningPassword").FillAsync("CHANGE2025");
        await page.GetByTestId("NewSigningPasswordConfirmation").FillAsync("CHANGE2025");
        await page.GetByTestId("NewAuthPin").FillAsync("1357");
        await page.GetByTestId("NewAuthPinConfirmation").FillAsync("1357");
    }
}
