using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Web.Simulator;

/// <summary>A virtual card of this browser, as lists show it.</summary>
/// <param name="Id">16 hex digits; the file name.</param>
/// <param name="Label">The holder's name, as the office wrote it on the card.</param>
/// <param name="PersonId">The person the office issued the card to.</param>
public sealed record CardEntry(string Id, string Label, string PersonId, DateTimeOffset IssuedAt);

/// <summary>A virtual phone of this browser, as lists show it.</summary>
public sealed record PhoneEntry(string Id, string ModelName, bool Supported, DateTimeOffset CreatedAt);

/// <summary>What the office needs to issue a card (基本4情報 and the two card passwords the person chooses).</summary>
public sealed record CardIssueForm(string Name, string BirthDate, string Gender, string Address, string SigningPassword, string AuthPin);

/// <summary>
/// The virtual cards and phones of one browser's <see cref="SimulatorWorkspace"/>: issue, create, list and open them.
/// Callers hold <see cref="SimulatorWorkspace.LockAsync"/> while they use an opened device (its file is rewritten on
/// every change of the chip's state, like the CLI's device files).
/// </summary>
public sealed class SimulatorDevices(SimulatorApi api, TimeProvider time)
{
    private const int MaxDevicesPerBrowser = 20;
    private static readonly JsonSerializerOptions MetaJson = new(JsonSerializerDefaults.Web);

    /// <summary>This browser's cards, newest first.</summary>
    public IReadOnlyList<CardEntry> ListCards(SimulatorWorkspace workspace) =>
        ReadMeta<CardEntry>(workspace.CardsDirectory).OrderByDescending(c => c.IssuedAt).ToList();

    /// <summary>This browser's phones, newest first.</summary>
    public IReadOnlyList<PhoneEntry> ListPhones(SimulatorWorkspace workspace) =>
        ReadMeta<PhoneEntry>(workspace.PhonesDirectory).OrderByDescending(p => p.CreatedAt).ToList();

    /// <summary>
    /// 市区町村窓口: a blank card makes its two keys, the office API (over HTTP, with <paramref name="officeKey"/> when
    /// the server has one) certifies them, and the card is kept in this browser. Refusals come back as <see cref="AppException"/>.
    /// </summary>
    public async Task<CardEntry> IssueCardAsync(SimulatorWorkspace workspace, CardIssueForm form, string? officeKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(form);
        RequireRoom(workspace.CardsDirectory);
        VirtualCard blank;
        try
        {
            blank = VirtualCard.CreateBlank(form.SigningPassword, form.AuthPin);
        }
        catch (ArgumentException)
        {
            throw new AppException("bad-card-password", "署名用パスワードは英大文字と数字を両方含む6〜16文字、利用者証明用暗証番号は数字4桁です / The signing password is 6–16 of A–Z and 0–9 with both; the PIN is 4 digits.");
        }

        var issued = await api.Create().SendAsync<CardIssueResponse>(
            HttpMethod.Post,
            "/api/v1/office/cards",
            new CardIssueRequest(form.Name, null, form.Gender, form.BirthDate, form.Address, null, Convert.ToBase64String(blank.SigningPublicKeyInfo), Convert.ToBase64String(blank.AuthPublicKeyInfo)),
            officeKey,
            ct);
        blank.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));

        var entry = new CardEntry(SimulatorWorkspace.NewDeviceId(), form.Name, issued.PersonId, time.GetUtcNow());
        blank.Save(CardPath(workspace, entry.Id));
        WriteMeta(workspace.CardsDirectory, entry.Id, entry);
        return entry;
    }

    /// <summary>A new phone of <paramref name="modelId"/> (see <see cref="PhoneModels"/>), kept in this browser.</summary>
    public PhoneEntry CreatePhone(SimulatorWorkspace workspace, string modelId)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        RequireRoom(workspace.PhonesDirectory);
        var model = PhoneModels.Find(modelId) ?? throw new AppException("bad-model", "機種を選んでください / Choose a phone model.");
        var phone = VirtualPhone.Create(model.Id, time);
        var entry = new PhoneEntry(phone.PhoneId, $"{model.Maker} {model.Name}", model.Supported, time.GetUtcNow());
        phone.Save(PhonePath(workspace, entry.Id));
        WriteMeta(workspace.PhonesDirectory, entry.Id, entry);
        return entry;
    }

    /// <summary>
    /// This browser's card <paramref name="id"/>, saved back on every change; null when it has none of that id. Its
    /// file stays locked until the workspace lock is released.
    /// </summary>
    public VirtualCard? OpenCard(SimulatorWorkspace workspace, string? id) =>
        SimulatorWorkspace.IsDeviceId(id) && File.Exists(CardPath(workspace, id!)) ? workspace.Track(VirtualCard.Open(CardPath(workspace, id!))) : null;

    /// <summary>This browser's phone <paramref name="id"/>, saved back on every SE change (locked like <see cref="OpenCard"/>); null when it has none of that id.</summary>
    public VirtualPhone? OpenPhone(SimulatorWorkspace workspace, string? id) =>
        SimulatorWorkspace.IsDeviceId(id) && File.Exists(PhonePath(workspace, id!)) ? workspace.Track(VirtualPhone.Open(PhonePath(workspace, id!), time)) : null;

    /// <summary>The card's entry (label, person) or null.</summary>
    public CardEntry? FindCard(SimulatorWorkspace workspace, string? id) => ListCards(workspace).FirstOrDefault(c => c.Id == id);

    /// <summary>The portal app on <paramref name="phone"/>, talking to the API over loopback, its storage saved to the phone's file.</summary>
    public PortalApp App(SimulatorWorkspace workspace, VirtualPhone phone, WebScreens screens)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var path = PhonePath(workspace, phone.PhoneId);
        return new PortalApp(phone, () => phone.Save(path), api.Create(), screens, time);
    }

    /// <summary>A client of the API (for calls that need no phone, such as the sandbox clock).</summary>
    public ServerApi Api() => api.Create();

    private static string CardPath(SimulatorWorkspace workspace, string id) => Path.Combine(workspace.CardsDirectory, id + ".json");

    private static string PhonePath(SimulatorWorkspace workspace, string id) => Path.Combine(workspace.PhonesDirectory, id + ".json");

    private static void RequireRoom(string directory)
    {
        if (Directory.GetFiles(directory, "*.meta.json").Length >= MaxDevicesPerBrowser)
        {
            throw new AppException("too-many-devices", $"このブラウザで作れる端末は{MaxDevicesPerBrowser}台までです / This browser can hold at most {MaxDevicesPerBrowser} cards and {MaxDevicesPerBrowser} phones.");
        }
    }

    private static void WriteMeta<T>(string directory, string id, T entry) =>
        PrivateFiles.WriteAllText(Path.Combine(directory, id + ".meta.json"), JsonSerializer.Serialize(entry, MetaJson));

    private static IEnumerable<T> ReadMeta<T>(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.meta.json"))
        {
            T? entry;
            try
            {
                entry = JsonSerializer.Deserialize<T>(File.ReadAllText(file), MetaJson);
            }
            catch (JsonException)
            {
                continue;
            }

            if (entry is not null)
            {
                yield return entry;
            }
        }
    }
}
