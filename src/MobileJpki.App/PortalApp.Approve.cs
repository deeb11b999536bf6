using System.Security.Cryptography;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>What the person answers to a device link (a relying party's login or signing request).</summary>
public sealed record ApproveOptions
{
    /// <summary>The phone auth PIN (a login asking for openid only).</summary>
    public string? Pin { get; init; }

    /// <summary>The phone signing password (基本4情報 scopes, signing transactions).</summary>
    public string? SigningPassword { get; init; }

    /// <summary>Decline instead of approving (still signed, so nobody else can decline for you).</summary>
    public bool Refuse { get; init; }
}

/// <summary>承認: the portal app answers a device-link code shown by a relying party's page (cross-device, like the real apps).</summary>
public sealed partial class PortalApp
{
    /// <summary>
    /// Shows who asks for what (and a signing request's description), then signs the documented approval message in
    /// the SE with the key the request needs — the auth key with the PIN, or the signing key with the password, which
    /// also signs the digest (raw and as CAdES signed attributes) for a signing transaction.
    /// </summary>
    public async Task<(DeviceLinkView Request, DeviceLinkOutcome Outcome)> ApproveAsync(string code, ApproveOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var view = await api.GetDeviceLinkAsync(code, ct);
        var origin = DeviceLinkMessage.OriginOf(api.BaseAddress);
        if (!string.Equals(view.Origin, origin, StringComparison.Ordinal))
        {
            throw new AppException("origin-mismatch", "接続先のサーバーが一致しません / The server's origin does not match the one this app talks to.");
        }

        var digest = view.Digest is null ? null : Convert.FromBase64String(view.Digest);
        var signing = view.Key == "sign";
        screens.Show(
            digest is null ? "ログインの承認" : "電子署名の承認",
            digest is null ? "Approve a login" : "Approve a signature",
            $"{view.ClientName} ({view.ClientId})\n" +
            (digest is null ? $"提供する情報 / Requested: {string.Join(' ', view.Scopes)}\n" : $"内容 / Description: {view.Description}\nSHA-256: {Convert.ToHexStringLower(digest)}\n") +
            (signing ? "署名用電子証明書のパスワードで承認します / Approve with the signing password" : "利用者証明用電子証明書の暗証番号で承認します / Approve with the auth PIN"));

        var kind = signing ? PinKind.Signing : PinKind.Auth;
        var secret = signing
            ? options.SigningPassword ?? screens.Ask("スマホ用署名用電子証明書のパスワード", "Phone signing password", secret: true)
            : options.Pin ?? screens.Ask("スマホ用利用者証明用電子証明書の暗証番号（数字4桁）", "Phone auth PIN (4 digits)", secret: true);
        if (!PasswordPolicy.TryNormalize(kind, secret, out var wire, out var error))
        {
            throw new AppException(signing ? "bad-sign-password" : "bad-pin", error);
        }

        var certificate = phone.SecureElement.CertificateDer(kind)
            ?? throw new AppException("no-certificate", "このスマホには必要なスマホ用電子証明書がありません / This phone has no certificate of the kind this request needs.");
        var decision = options.Refuse ? DeviceLinkMessage.Refuse : DeviceLinkMessage.Approve;
        var message = DeviceLinkMessage.SignedBytes(origin, view.Code, view.Purpose, view.ClientId, view.Scopes, digest, decision);
        byte[] signature;
        byte[]? cmsSignature = null;
        byte[]? rawSignature = null;
        using (var se = OpenSecureElement())
        {
            var jpki = se.Client.Jpki;
            jpki.SelectAp();
            var pin = jpki.Verify(kind, wire);
            if (!pin.Verified)
            {
                throw pin.Locked
                    ? new AppException("phone-password-locked", LockedMessage(kind))
                    : new AppException("wrong-phone-password", $"パスワードが違います（残り{pin.TriesLeft}回）/ Wrong phone password ({pin.TriesLeft} tries left before it locks).");
            }

            signature = jpki.SignDigestInfo(kind, DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData(message)));
            if (digest is not null && !options.Refuse)
            {
                var signingTime = view.SigningTime ?? throw new AppException("bad-request", "The signing request has no signing time.");
                var attributes = CadesDetached.SignedAttributes(digest, certificate, signingTime);
                cmsSignature = jpki.SignDigestInfo(kind, DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData(attributes)));
                rawSignature = jpki.SignDigestInfo(kind, DigestInfos.Build(HashAlgorithmName.SHA256, digest));
            }
        }

        var outcome = await api.DecideDeviceLinkAsync(
            view.Code,
            new DeviceLinkDecision(
                decision,
                Convert.ToBase64String(certificate),
                Convert.ToBase64String(signature),
                cmsSignature is null ? null : Convert.ToBase64String(cmsSignature),
                rawSignature is null ? null : Convert.ToBase64String(rawSignature)),
            ct);
        screens.Show(options.Refuse ? "お断りしました" : "承認しました", options.Refuse ? "Refused" : "Approved", outcome.Message);
        return (view, outcome);
    }
}
