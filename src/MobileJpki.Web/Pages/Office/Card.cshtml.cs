using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Office;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.Office;

/// <summary>A card's certificate as the counter sees it on the card.</summary>
public sealed record CardCertificateFacts(string Kind, string Serial, DateTimeOffset NotAfter);

/// <summary>
/// The card events at the counter for one card of this browser: 住所・氏名の変更 (re-keys the signing key), カードの更新
/// (re-keys both), 紛失・発見, 暗証番号の初期化. Each goes through the office API over loopback, like <c>mjpki office …</c>.
/// </summary>
public sealed class CardModel(SimulatorDevices devices) : SimulatorPageModel
{
    /// <summary>The card (only from this browser's workspace).</summary>
    [FromRoute]
    public string? CardId { get; set; }

    /// <summary>New name (氏名), optional.</summary>
    [BindProperty]
    [StringLength(100)]
    public string? NewName { get; set; }

    /// <summary>New address (住所), optional.</summary>
    [BindProperty]
    [StringLength(200)]
    public string? NewAddress { get; set; }

    /// <summary>Loss made final (revokes).</summary>
    [BindProperty]
    public bool Final { get; set; }

    /// <summary>sign or auth, for the PIN reset.</summary>
    [BindProperty]
    [StringLength(8)]
    public string? PinKindName { get; set; }

    /// <summary>The new PIN (never echoed).</summary>
    [BindProperty]
    [StringLength(64)]
    public string? NewPin { get; set; }

    /// <summary>The office API key, when the server has one (never echoed).</summary>
    [BindProperty]
    [StringLength(OfficeKey.MaxLength)]
    public string? OfficeApiKey { get; set; }

    /// <summary>Remember the key in the protected cookie.</summary>
    [BindProperty]
    public bool RememberKey { get; set; }

    /// <summary>The card's list entry; null when this browser has no such card.</summary>
    public CardEntry? Entry { get; private set; }

    /// <summary>The certificates on the card now.</summary>
    public IReadOnlyList<CardCertificateFacts> Certificates { get; private set; } = [];

    /// <summary>What the API did (what was revoked, what was issued).</summary>
    public OfficeEventResponse? Result { get; private set; }

    /// <summary>Serials of the certificates the act installed on the card.</summary>
    public IReadOnlyList<string> NewSerials { get; private set; } = [];

    /// <summary>The counter's own confirmation (PIN reset), both languages.</summary>
    public string? Done { get; private set; }

    /// <summary>The card and its forms.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        using (await Workspace.LockAsync(ct))
        {
            return Load(devices.OpenCard(Workspace, CardId)) ? Page() : NotFoundPage();
        }
    }

    /// <summary>住所・氏名の変更: new signing key in the card, its certificate from the API; phone signing certificates revoked.</summary>
    public Task<IActionResult> OnPostAddressChangeAsync(CancellationToken ct) => WithCardAsync(async (card, key) =>
    {
        var name = string.IsNullOrWhiteSpace(NewName) ? null : NewName.Trim();
        var address = string.IsNullOrWhiteSpace(NewAddress) ? null : NewAddress.Trim();
        if (name is null && address is null)
        {
            throw new AppException("input-needed", "新しい住所か氏名（または両方）を入力してください / Enter the new address, the new name or both.");
        }

        var newKey = card.GenerateReplacementKey(PinKind.Signing);
        var response = await Send("address-change", new AddressChangeRequest(null, Serial(card, PinKind.Signing), name, null, address, null, Convert.ToBase64String(newKey)), key, ct);
        card.InstallReplacementCertificates([(PinKind.Signing, Convert.FromBase64String(response.SigningCertificate!), Convert.FromBase64String(response.SigningCaCertificate!))]);
        NewName = NewAddress = null;
        return response;
    }, ct);

    /// <summary>カードの更新: both keys replaced; every phone certificate revoked.</summary>
    public Task<IActionResult> OnPostRenewAsync(CancellationToken ct) => WithCardAsync(async (card, key) =>
    {
        var signingKey = card.GenerateReplacementKey(PinKind.Signing);
        var authKey = card.GenerateReplacementKey(PinKind.Auth);
        var response = await Send("renew", new CardRenewalRequest(null, Serial(card, PinKind.Auth), Convert.ToBase64String(signingKey), Convert.ToBase64String(authKey)), key, ct);
        card.InstallReplacementCertificates(
        [
            (PinKind.Signing, Convert.FromBase64String(response.SigningCertificate!), Convert.FromBase64String(response.SigningCaCertificate!)),
            (PinKind.Auth, Convert.FromBase64String(response.AuthCertificate!), Convert.FromBase64String(response.AuthCaCertificate!)),
        ]);
        return response;
    }, ct);

    /// <summary>紛失: the card certificates on hold, or (final) revoked with the phone certificates.</summary>
    public Task<IActionResult> OnPostLoseAsync(CancellationToken ct) => WithCardAsync(
        (card, key) => Send("lose", new CardLossRequest(Entry!.PersonId, null, Final), key, ct), ct);

    /// <summary>発見: the hold is lifted.</summary>
    public Task<IActionResult> OnPostFoundAsync(CancellationToken ct) => WithCardAsync(
        (card, key) => Send("found", new CardLossRequest(Entry!.PersonId, null, false), key, ct), ct);

    /// <summary>暗証番号の初期化: the policy is checked, the act recorded by the API, then the card's PIN is set.</summary>
    public Task<IActionResult> OnPostResetPinAsync(CancellationToken ct)
    {
        var pin = NewPin ?? string.Empty;
        NewPin = null;
        return WithCardAsync(async (card, key) =>
        {
            var kind = PinKindName switch
            {
                "sign" => PinKind.Signing,
                "auth" => PinKind.Auth,
                _ => throw new AppException("input-needed", "初期化する暗証番号の種類を選んでください / Choose which PIN to reset."),
            };
            if (!PasswordPolicy.TryNormalize(kind, pin, out _, out var rule))
            {
                throw new AppException("bad-pin", rule);
            }

            var response = await Send("reset-pin", new PinResetRecordRequest(Serial(card, kind), PinKindName!), key, ct);
            card.ResetPinAtCounter(kind, pin);
            Done = kind == PinKind.Signing
                ? "署名用電子証明書のパスワードを初期化しました（残り5回） / The signing password was reset (5 tries)."
                : "利用者証明用電子証明書の暗証番号を初期化しました（残り3回） / The auth PIN was reset (3 tries).";
            return response;
        }, ct);
    }

    private async Task<IActionResult> WithCardAsync(Func<VirtualCard, string?, Task<OfficeEventResponse>> act, CancellationToken ct)
    {
        var typedKey = OfficeApiKey;
        OfficeApiKey = null;
        using (await Workspace.LockAsync(ct))
        {
            var card = devices.OpenCard(Workspace, CardId);
            Entry = devices.FindCard(Workspace, CardId);
            if (card is null || Entry is null)
            {
                return NotFoundPage();
            }

            if (!ModelState.IsValid)
            {
                Error = "入力が長すぎます（氏名100文字・住所200文字まで） / The input is too long (name up to 100, address up to 200 characters).";
                ErrorCode = "bad-field";
            }
            else
            {
                try
                {
                    var old = Facts(card).Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
                    Result = await act(card, OfficeKey.Resolve(HttpContext, typedKey, RememberKey));
                    NewSerials = Facts(card).Select(c => c.Serial).Where(s => !old.Contains(s)).ToList();
                }
                catch (AppException e)
                {
                    OfficePages.ShowError(this, e);
                }
            }

            Load(card);
            return Page();
        }
    }

    private bool Load(VirtualCard? card)
    {
        Entry ??= devices.FindCard(Workspace, CardId);
        if (card is null || Entry is null)
        {
            return false;
        }

        Certificates = Facts(card);
        return true;
    }

    private IActionResult NotFoundPage()
    {
        Entry = null;
        Response.StatusCode = 404;
        return Page();
    }

    private async Task<OfficeEventResponse> Send(string action, object body, string? key, CancellationToken ct) =>
        await devices.Api().SendAsync<OfficeEventResponse>(HttpMethod.Post, $"/api/v1/office/{action}", body, key, ct)
        ?? throw new AppException("bad-response", "サーバーの応答が空でした / The server's answer was empty.");

    private static List<CardCertificateFacts> Facts(VirtualCard card)
    {
        var list = new List<CardCertificateFacts>();
        foreach (var (kind, name) in new[] { (PinKind.Signing, "sign"), (PinKind.Auth, "auth") })
        {
            if (card.CertificateDer(kind) is { } der)
            {
                using var cert = X509CertificateLoader.LoadCertificate(der);
                list.Add(new CardCertificateFacts(name, cert.SerialNumber.ToLowerInvariant(), cert.NotAfter));
            }
        }

        return list;
    }

    private static string Serial(VirtualCard card, PinKind kind)
    {
        var der = card.CertificateDer(kind) ?? throw new AppException("no-certificate", "このカードには電子証明書がありません / The card has no certificate for that key.");
        using var cert = X509CertificateLoader.LoadCertificate(der);
        return cert.SerialNumber.ToLowerInvariant();
    }
}
