using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Web.Tests;

/// <summary>The municipal office page (/office) clicked through in Chromium: issue a card, address change, PIN reset, refusals.</summary>
public sealed class OfficePageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Office_IssueCardThenAddressChangeThenPinReset_CardAndServerFollow(bool phone)
    {
        var width = phone ? "phone" : "desktop";
        var page = await web.NewPageAsync(phone);
        await page.GotoAsync("/office");
        Assert.Equal("市区町村窓口", await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).InnerTextAsync());
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, $"office-{width}-1-form");

        // 窓口: 基本4情報 and the two card passwords the person chooses.
        var name = phone ? "窓口 花子" : "窓口 太郎";
        await page.GetByLabel("氏名").FillAsync(name);
        await page.GetByLabel("生年月日").FillAsync("1985-04-12");
        await page.GetByLabel("性別").SelectOptionAsync("female");
        await page.GetByLabel("住所").FillAsync("東京都千代田区霞が関1-1");
        await page.GetByLabel("署名用電子証明書のパスワード").FillAsync("CARD2023");
        await page.GetByLabel("利用者証明用電子証明書の暗証番号").FillAsync("1234");
        await page.GetByTestId("issue").ClickAsync();
        await page.GetByTestId("issued").WaitForAsync();
        await PageChecks.ScreenshotAsync(page, $"office-{width}-2-issued");
        Assert.Equal(name, await page.GetByTestId("issued-link").InnerTextAsync());
        Assert.Equal(1, await page.GetByTestId("card").CountAsync());

        // The card is in THIS browser's workspace, and the server knows the person with two live card certificates.
        var cardFile = Assert.Single(await CardFilesAsync(page));
        await page.GetByTestId("issued-link").ClickAsync();
        await page.GetByTestId("card-facts").WaitForAsync();
        var personId = Guid.Parse(await page.GetByTestId("person-id").InnerTextAsync());
        var oldSigning = await page.GetByTestId("card-serial-sign").InnerTextAsync();
        var before = await CertificatesAsync(personId);
        Assert.True(await PersonExistsAsync(personId));
        Assert.Contains(before, c => c.Serial == oldSigning && c.Kind == (int)CertificateKind.CardSigning && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active);
        Assert.Contains(before, c => c.Kind == (int)CertificateKind.CardAuth && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active);
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, $"office-{width}-3-card");

        // 住所の変更: the card gets a new signing key; the old certificate is revoked, the new one is live and on the card.
        await page.GetByLabel("新しい住所").FillAsync("大阪府大阪市北区梅田1-1");
        await page.GetByTestId("address-change").ClickAsync();
        await page.GetByTestId("result").WaitForAsync();
        Assert.Contains("スマホの署名用電子証明書は失効しました", await page.GetByTestId("result-message").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("phone signing certificates were revoked", await page.GetByTestId("result-message").InnerTextAsync(), StringComparison.Ordinal);
        var newSigning = await page.GetByTestId("new-serial").InnerTextAsync();
        Assert.Equal(newSigning, await page.GetByTestId("card-serial-sign").InnerTextAsync());
        await PageChecks.ScreenshotAsync(page, $"office-{width}-4-address-changed");
        var after = await CertificatesAsync(personId);
        Assert.Equal((int)CertificateStatus.Revoked, after.Single(c => c.Serial == oldSigning).Status);
        Assert.Contains(after, c => c.Serial == newSigning && c.Kind == (int)CertificateKind.CardSigning && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active);
        var card = VirtualCard.Load(cardFile);
        using (var onCard = X509CertificateLoader.LoadCertificate(card.CertificateDer(PinKind.Signing)!))
        {
            Assert.Equal(newSigning, onCard.SerialNumber.ToLowerInvariant());
        }

        // The new certificate carries the new address (the 基本4情報 extension), the name unchanged.
        var info = PersonMatching.Read(card.CertificateDer(PinKind.Signing)!);
        Assert.NotNull(info);
        Assert.Equal("大阪府大阪市北区梅田1-1", info.Address);
        Assert.Equal(name, info.Name);

        // 暗証番号の初期化 at the counter: the card accepts the new PIN, and the act is on the server's audit log.
        await page.GetByTestId("pin-kind-auth").CheckAsync();
        await page.GetByLabel("新しい暗証番号").FillAsync("9876");
        await page.GetByTestId("reset-pin").ClickAsync();
        await page.GetByTestId("done").WaitForAsync();
        Assert.Contains("暗証番号を初期化しました", await page.GetByTestId("done").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, await page.GetByLabel("新しい暗証番号").InputValueAsync());
        await PageChecks.ScreenshotAsync(page, $"office-{width}-5-pin-reset");
        var reset = VirtualCard.Load(cardFile);
        var client = new JpkiClient(reset.Applet);
        client.SelectAp();
        Assert.True(client.Verify(PinKind.Auth, "9876").Verified);
        Assert.Contains(await AuditActionsAsync(), a => a.Action == "office.reset-pin" && a.Target == personId.ToString() && a.Outcome == "ok");

        // 紛失: the card certificates go on hold; 発見: the hold is lifted.
        await page.GetByTestId("lose").ClickAsync();
        await page.Locator("[data-testid=result][data-action=lose]").WaitForAsync();
        Assert.Equal(2, await page.Locator("[data-testid=changed][data-status=suspended]").CountAsync());
        Assert.All((await CertificatesAsync(personId)).Where(c => c.Serial == newSigning), c => Assert.Equal((int)CertificateStatus.Suspended, c.Status));
        await page.GetByTestId("found").ClickAsync();
        await page.Locator("[data-testid=result][data-action=found]").WaitForAsync();
        await PageChecks.ScreenshotAsync(page, $"office-{width}-6-found");
        Assert.Contains(await CertificatesAsync(personId), c => c.Serial == newSigning && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active);
        if (phone)
        {
            return;
        }

        // カードの更新: both card certificates replaced — the old ones revoked, the new ones live and on the card.
        var authBefore = await page.GetByTestId("card-serial-auth").InnerTextAsync();
        await page.GetByTestId("renew").ClickAsync();
        await page.Locator("[data-testid=result][data-action=renew]").WaitForAsync();
        var renewed = await page.GetByTestId("new-serial").AllInnerTextsAsync();
        Assert.Equal(2, renewed.Count);
        await PageChecks.ScreenshotAsync(page, "office-desktop-7-renewed");
        var afterRenewal = await CertificatesAsync(personId);
        Assert.Equal((int)CertificateStatus.Revoked, afterRenewal.Single(c => c.Serial == newSigning).Status);
        Assert.Equal((int)CertificateStatus.Revoked, afterRenewal.Single(c => c.Serial == authBefore).Status);
        Assert.All(renewed, serial => Assert.Contains(afterRenewal, c => c.Serial == serial && c.Status is (int)CertificateStatus.Issued or (int)CertificateStatus.Active));
        var renewedCard = VirtualCard.Load(cardFile);
        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            using var onCard = X509CertificateLoader.LoadCertificate(renewedCard.CertificateDer(kind)!);
            Assert.Contains(onCard.SerialNumber.ToLowerInvariant(), renewed);
        }

        // 紛失の確定: the card certificates are revoked for good.
        await page.GetByTestId("final").CheckAsync();
        await page.GetByTestId("lose").ClickAsync();
        await page.Locator("[data-testid=result][data-action=lose-final]").WaitForAsync();
        var afterLoss = await CertificatesAsync(personId);
        Assert.All(renewed, serial => Assert.Equal((int)CertificateStatus.Revoked, afterLoss.Single(c => c.Serial == serial).Status));
    }

    [Fact]
    public async Task Office_BadCardPasswordAndForeignCard_RefusedKeepingWhatWasTyped()
    {
        var page = await web.NewPageAsync(phone: false);
        await page.GotoAsync("/office");
        await page.GetByLabel("氏名").FillAsync("誤入力 次郎");
        await page.GetByLabel("生年月日").FillAsync("1970-01-02");
        await page.GetByLabel("性別").SelectOptionAsync("male");
        await page.GetByLabel("住所").FillAsync("北海道札幌市中央区1-1");
        await page.GetByLabel("署名用電子証明書のパスワード").FillAsync("short");
        await page.GetByLabel("利用者証明用電子証明書の暗証番号").FillAsync("1234");
        await page.GetByTestId("issue").ClickAsync();
        var error = page.GetByTestId("error");
        await error.WaitForAsync();
        Assert.Equal("bad-card-password", await error.GetAttributeAsync("data-code"));
        var text = await error.InnerTextAsync();
        Assert.Contains("署名用パスワード", text, StringComparison.Ordinal);
        Assert.Contains("signing password", text, StringComparison.Ordinal);
        Assert.Equal("誤入力 次郎", await page.GetByLabel("氏名").InputValueAsync());
        Assert.Equal("北海道札幌市中央区1-1", await page.GetByLabel("住所").InputValueAsync());
        Assert.Equal("male", await page.GetByLabel("性別").InputValueAsync());
        Assert.Equal(string.Empty, await page.GetByLabel("署名用電子証明書のパスワード").InputValueAsync());
        Assert.Equal(string.Empty, await page.GetByLabel("利用者証明用電子証明書の暗証番号").InputValueAsync());
        Assert.Empty(await CardFilesAsync(page));
        await PageChecks.AssertAccessibleAsync(page);
        await PageChecks.ScreenshotAsync(page, "office-bad-password");

        // A card id this browser does not have: nothing shown but "not found".
        var response = await page.GotoAsync("/office/cards/0123456789abcdef");
        Assert.Equal((int)HttpStatusCode.NotFound, response!.Status);
        Assert.Equal("unknown-card", await page.GetByTestId("error").GetAttributeAsync("data-code"));
        Assert.Equal(0, await page.GetByTestId("card-facts").CountAsync());
    }

    [Fact]
    public async Task Office_PostWithoutAntiforgeryToken_Refused400()
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Name"] = "偽造 三郎",
            ["BirthDate"] = "1990-01-01",
            ["Gender"] = "male",
            ["Address"] = "東京都",
            ["SigningPassword"] = "CARD2023",
            ["AuthPin"] = "1234",
        });
        using var response = await http.PostAsync("/office?handler=Issue", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>The card files (not the list entries) of the browser behind <paramref name="page"/>.</summary>
    private async Task<IReadOnlyList<string>> CardFilesAsync(IPage page)
    {
        var cookies = await page.Context.CookiesAsync();
        var id = cookies.Single(c => c.Name == SimulatorWorkspace.CookieName).Value;
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(id)));
        var dir = Path.Combine(web.Server.Root, "simulator", key[..32], "cards");
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.json").Where(f => !f.EndsWith(".meta.json", StringComparison.Ordinal)).ToList()
            : [];
    }

    private async Task<bool> PersonExistsAsync(Guid personId)
    {
        await using var db = Db();
        var found = await db.Persons.AsNoTracking().AnyAsync(p => p.Id == personId);
        SqliteConnection.ClearAllPools();
        return found;
    }

    private async Task<List<CertificateEntity>> CertificatesAsync(Guid personId)
    {
        await using var db = Db();
        var list = await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId).ToListAsync();
        SqliteConnection.ClearAllPools();
        return list;
    }

    private async Task<List<AuditEntryEntity>> AuditActionsAsync()
    {
        await using var db = Db();
        var list = await db.AuditEntries.AsNoTracking().ToListAsync();
        SqliteConnection.ClearAllPools();
        return list;
    }

    private MjpkiDbContext Db() =>
        new(new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite($"Data Source={web.Server.DatabasePath};Mode=ReadOnly").Options);
}
