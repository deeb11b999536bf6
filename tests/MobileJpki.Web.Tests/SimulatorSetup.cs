using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Web.Tests;

/// <summary>
/// A registered phone in a browser's simulator workspace without clicking through 利用申請: the card is issued and the
/// phone applies, waits and registers with the real portal app against the server, and both are written where the
/// simulator keeps that browser's devices ({data}/simulator/{first 32 hex of SHA-256(cookie)}), so the UI sees them.
/// </summary>
internal sealed class SimulatorSetup(WebFixture web, IPage page)
{
    public const string CardPassword = "CARD2023";
    public const string CardPin = "1234";
    public const string PhonePassword = "PHONE2023";
    public const string PhonePin = "5678";

    private static readonly JsonSerializerOptions MetaJson = new(JsonSerializerDefaults.Web);

    public ServerApi Api { get; } = new(new HttpClient { BaseAddress = new Uri(web.Server.Url), Timeout = TimeSpan.FromSeconds(60) });

    /// <summary>This browser's workspace directory (the browser must have visited a simulator page).</summary>
    public async Task<string> WorkspaceAsync()
    {
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "mjpki-sim").Value;
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(cookie)))[..32];
        return Path.Combine(web.Server.Root, "simulator", key);
    }

    /// <summary>市区町村窓口: a card issued by the office API and put in this browser.</summary>
    public async Task<string> IssueCardAsync(string name)
    {
        var card = VirtualCard.CreateBlank(CardPassword, CardPin);
        var issued = await Api.IssueCardAsync(
            new CardIssueRequest(name, null, "female", "1985-04-01", "東京都千代田区霞が関1-1", null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            CancellationToken.None);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));
        var dir = Directory.CreateDirectory(Path.Combine(await WorkspaceAsync(), "cards")).FullName;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        card.Save(Path.Combine(dir, id + ".json"));
        await File.WriteAllTextAsync(Path.Combine(dir, id + ".meta.json"), JsonSerializer.Serialize(new { id, label = name, personId = issued.PersonId, issuedAt = TimeProvider.System.GetUtcNow() }, MetaJson));
        return id;
    }

    /// <summary>A new phone in this browser.</summary>
    public async Task<string> NewPhoneAsync(string model = "pixel-8")
    {
        var phone = VirtualPhone.Create(model, TimeProvider.System);
        var dir = Directory.CreateDirectory(Path.Combine(await WorkspaceAsync(), "phones")).FullName;
        phone.Save(Path.Combine(dir, phone.PhoneId + ".json"));
        await File.WriteAllTextAsync(Path.Combine(dir, phone.PhoneId + ".meta.json"), JsonSerializer.Serialize(new { id = phone.PhoneId, modelName = "Google Pixel 8", supported = true, createdAt = TimeProvider.System.GetUtcNow() }, MetaJson));
        return phone.PhoneId;
    }

    /// <summary>利用申請 → issuance → 利用登録 with the real app on this browser's phone and card.</summary>
    public async Task ApplyAndRegisterAsync(string phoneId, string cardId)
    {
        await WithAppAsync(phoneId, async app =>
        {
            using var card = VirtualCard.Open(Path.Combine(await WorkspaceAsync(), "cards", cardId + ".json"));
            await app.ApplyAsync(card.Applet, new ApplyOptions { CardPassword = CardPassword, NewSigningPassword = PhonePassword, NewAuthPin = PhonePin, Confirmed = true }, CancellationToken.None);
        });
        await WaitAndRegisterAsync(phoneId);
    }

    /// <summary>Moves the sandbox clock to the issuance window, waits for the notice and registers what was issued.</summary>
    public async Task WaitAndRegisterAsync(string phoneId)
    {
        await Api.ChangeClockAsync(new ClockChange(null, null, true), CancellationToken.None);
        await WithAppAsync(phoneId, async app =>
        {
            await app.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
            await app.RegisterAsync(CancellationToken.None);
        });
    }

    /// <summary>The real portal app on this browser's phone (saved back to the workspace).</summary>
    public async Task WithAppAsync(string phoneId, Func<PortalApp, Task> work)
    {
        var path = Path.Combine(await WorkspaceAsync(), "phones", phoneId + ".json");
        using var phone = VirtualPhone.Open(path, TimeProvider.System);
        await work(new PortalApp(phone, () => phone.Save(path), Api, new Silent(), TimeProvider.System));
    }

    /// <summary>The phone's certificates as the server's database records them (serial → status), read-only.</summary>
    public Dictionary<string, string> CertificateStatuses(string phoneId) =>
        Query("SELECT Serial, Status FROM Certificates WHERE PhoneId = $p", phoneId)
            .ToDictionary(kv => kv.Key, kv => ((Ra.CertificateStatus)int.Parse(kv.Value, System.Globalization.CultureInfo.InvariantCulture)).ToString().ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>Rows of a query with one parameter as (first column → second column), read-only.</summary>
    public Dictionary<string, string> Query(string sql, string parameter)
    {
        using var db = new SqliteConnection($"Data Source={web.Server.DatabasePath};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$p", parameter);
        using var reader = cmd.ExecuteReader();
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            rows[Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!] = Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)!;
        }

        return rows;
    }

    private sealed class Silent : IAppScreens
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
