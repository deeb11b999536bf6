using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>The lifecycle screens of the portal app: suspend, resume (解除), revoke (失効), device change, password reset.</summary>
public sealed partial class PortalApp
{
    /// <summary>The warning shown before a device change (Japanese first, English beside it).</summary>
    public const string DeviceChangeWarningJa = "機種変更の申請をすると、これまでのスマホのスマホ用電子証明書は失効します。古いスマホのデータは次回の同期時に削除されます。";

    public const string DeviceChangeWarningEn = "Applying on this new phone revokes the smartphone certificates on your old phone; the old phone's data is deleted when it next syncs.";

    /// <summary>一時利用停止 of this phone's certificates.</summary>
    public async Task<LifecycleReceipt> SuspendAsync(CancellationToken ct)
    {
        var (phoneId, secret) = Credentials();
        var receipt = await api.SuspendAsync(phoneId, secret, ct);
        screens.Show("一時利用停止しました", "Suspended", receipt.Message);
        return receipt;
    }

    /// <summary>
    /// 解除 on this phone: the auth certificate is good again; for the signing certificate the SE makes a new key, the card
    /// signs the application, and the new certificate is issued (register it again after the notification).
    /// </summary>
    public async Task<LifecycleReceipt> ResumeAsync(IApduChannel card, ResumeOptions options, CancellationToken ct)
    {
        if (options.NewSigningPassword is not null && CheckNew(PinKind.Signing, options.NewSigningPassword, options.NewSigningPasswordConfirmation ?? options.NewSigningPassword) is { } badNew)
        {
            throw new AppException("bad-new-password", badNew);
        }

        // Nothing in the SE is touched unless this phone's certificates are on hold.
        var status = await SyncAsync(ct);
        var held = status.Certificates.Where(c => c.Status == "suspended").ToArray();
        if (held.Length == 0)
        {
            throw new AppException("not-suspended", "このスマホの電子証明書は一時利用停止されていません / This phone's certificates are not suspended (already resumed, or revoked).");
        }

        screens.Show("一時利用停止の解除", "Resume (解除)", "利用者証明用電子証明書は再び利用できます。署名用電子証明書は再発行されます / The auth certificate becomes usable again; the signing certificate is issued again.");
        var (phoneId, secret) = Credentials();
        byte[]? cms = null;
        if (held.Any(c => c.Kind == Hierarchy.Signing.WireName()))
        {
            var cardPassword = options.CardPassword ?? screens.Ask("マイナンバーカード用署名用電子証明書のパスワード", "Card signing password (6–16 A–Z/0–9)", secret: true);
            if (!PasswordPolicy.TryNormalizeSigningPassword(cardPassword, out var normalized, out var cardPasswordError))
            {
                throw new AppException("bad-card-password", cardPasswordError);
            }

            cms = ReadCardAndSign(card, normalized, [Hierarchy.Signing], secret, null, await api.GetServerTimeAsync(ct));
            screens.Show("読み取りに成功しました", "Card read successfully", "マイナンバーカードをスマートフォンから離してください / You can take the card away.");
            using var se = OpenSecureElement();
            se.Client.SetPin(PinKind.Signing, AskNew(PinKind.Signing, options.NewSigningPassword, options.NewSigningPasswordConfirmation));
        }

        var receipt = await api.ResumeAsync(phoneId, secret, cms, ct);
        if (receipt.Application is { } application)
        {
            phone.App.Values[ApplicationKey] = application.ApplicationId;
            save();
        }

        screens.Show("一時利用停止を解除しました", "Resumed", receipt.Message);
        return receipt;
    }

    /// <summary>失効: the server revokes this phone's certificates, then the app deletes the keys, certificates and PINs in the SE.</summary>
    public async Task<LifecycleReceipt> RevokeAsync(bool confirmed, CancellationToken ct)
    {
        var (phoneId, secret) = Credentials();
        screens.Show("スマホ用電子証明書の失効", "Revoke the smartphone certificates", "このスマホの電子証明書を失効し、スマホ内のデータを削除します。元に戻せません / This revokes this phone's certificates and deletes them from the phone; it cannot be undone.");
        if (!confirmed && !screens.Confirm("失効してよろしいですか", "Revoke them? (--yes)"))
        {
            throw new AppException("not-confirmed", "失効を取りやめました / Revocation cancelled.");
        }

        var receipt = await api.RevokeAsync(phoneId, secret, ct);
        using (var se = OpenSecureElement())
        {
            se.Client.Wipe();
        }

        await api.AcknowledgeWipeAsync(phoneId, secret, ct);
        phone.App.Values.Remove(ApplicationKey);
        save();
        screens.Show("スマホ用電子証明書を失効しました", "Revoked", "スマホ内の鍵・電子証明書・パスワードを削除しました / The keys, certificates and passwords were deleted from the secure element.");
        return receipt;
    }

    /// <summary>
    /// 機種変更 on the new phone: the same steps as 利用申請, after the warning that the old phone's certificates will be
    /// revoked and the person's explicit agreement.
    /// </summary>
    public Task<ApplicationReceipt> ChangeDeviceAsync(IApduChannel card, ApplyOptions options, CancellationToken ct)
    {
        screens.Show("機種変更に伴う引継ぎ", "Device change", $"{DeviceChangeWarningJa} / {DeviceChangeWarningEn}");
        if (!options.ConfirmRevokeOldPhone && !screens.Confirm("古いスマホの電子証明書を失効して、このスマホで申請しますか", "Revoke the old phone's certificates and apply on this phone? (--yes)"))
        {
            throw new AppException("not-confirmed", $"機種変更を取りやめました / Device change cancelled: {DeviceChangeWarningEn}");
        }

        return ApplyCoreAsync(card, options, (cms, c) => api.SubmitDeviceChangeAsync(cms, confirmRevokeOldPhone: true, c), ct);
    }

    /// <summary>
    /// パスワード初期化: the server hands out a challenge, the card signs it (auth key with the card's auth PIN, or signing
    /// key with the card's signing password), the server approves with a reset authorisation bound to this SE's key, the
    /// kind and the SE's own fresh challenge, and the SE takes the new phone password with a full counter.
    /// </summary>
    public async Task<PasswordResetApproval> ResetPasswordAsync(IApduChannel card, PasswordResetOptions options, CancellationToken ct)
    {
        var kind = options.Kind;
        if (options.NewPassword is not null && CheckNew(kind, options.NewPassword, options.NewPasswordConfirmation ?? options.NewPassword) is { } badNew)
        {
            throw new AppException("bad-new-password", badNew);
        }

        if (!phone.SecureElement.HasKey(kind) || !phone.SecureElement.HasPin(kind))
        {
            throw new AppException("nothing-to-reset", "このスマホにはその種類のスマホ用電子証明書がありません / This phone has no certificate of that kind whose password could be reset.");
        }

        var wireKind = (kind == PinKind.Signing ? Hierarchy.Signing : Hierarchy.Auth).WireName();
        screens.Show("パスワード初期化", "Phone password reset", "マイナンバーカードを読み取って本人確認をします / Your My Number Card is read to confirm it is you.");
        var cardSecret = kind == PinKind.Signing
            ? options.CardPassword ?? screens.Ask("マイナンバーカード用署名用電子証明書のパスワード", "Card signing password (6–16 A–Z/0–9)", secret: true)
            : options.CardPin ?? screens.Ask("マイナンバーカード用利用者証明用電子証明書の暗証番号（数字4桁）", "Card auth PIN (4 digits)", secret: true);
        if (!PasswordPolicy.TryNormalize(kind, cardSecret, out var cardWire, out var cardSecretError))
        {
            throw new AppException(kind == PinKind.Signing ? "bad-card-password" : "bad-card-pin", cardSecretError);
        }

        var (phoneId, secret) = Credentials();
        var challenge = await api.GetResetChallengeAsync(phoneId, secret, wireKind, ct);
        var (certificate, signature) = SignWithCard(card, kind, cardWire, PasswordResetChallenge.SignedBytes(phoneId, wireKind, challenge.Challenge));
        byte[] seChallenge;
        using (var se = OpenSecureElement())
        {
            seChallenge = se.Client.GetChallenge();
        }

        var approval = await api.ResetPasswordAsync(
            phoneId,
            secret,
            new PasswordResetRequest(wireKind, challenge.Challenge, Convert.ToBase64String(certificate), Convert.ToBase64String(signature), Convert.ToBase64String(seChallenge)),
            ct);

        var newPassword = AskNew(kind, options.NewPassword, options.NewPasswordConfirmation);
        using (var se = OpenSecureElement())
        {
            try
            {
                se.Client.ResetPin(kind, newPassword, Convert.FromBase64String(approval.Authorization));
            }
            catch (Exception ex) when (ex is JpkiCardException or FormatException)
            {
                throw new AppException("se-error", $"セキュアエレメントがパスワード初期化を拒否しました。もう一度やり直してください / The secure element refused the reset authorisation ({(ex is JpkiCardException c ? $"SW {c.Sw:X4}" : "not base64")}); start the reset again.");
            }
        }

        screens.Show("パスワードを初期化しました", "Password reset", "新しいパスワードを設定し、誤入力の回数をリセットしました / The new phone password is set and its counter is reset.");
        return approval;
    }

    /// <summary>Checks a phone password in the SE; a locked one says how to recover (reset it with the card).</summary>
    public PinStatus CheckPhonePassword(PinKind kind, string password)
    {
        using var se = OpenSecureElement();
        se.Client.Jpki.SelectAp();
        PinStatus result;
        try
        {
            result = se.Client.Jpki.Verify(kind, password);
        }
        catch (JpkiCardException ex)
        {
            throw new AppException("nothing-to-reset", $"このスマホにはその種類のパスワードがありません / This phone has no password of that kind (SW {ex.Sw:X4}).");
        }

        if (result.Locked)
        {
            throw new AppException("phone-password-locked", LockedMessage(kind));
        }

        if (!result.Verified)
        {
            throw new AppException("wrong-phone-password", $"パスワードが違います（残り{result.TriesLeft}回）/ Wrong phone password ({result.TriesLeft} tries left before it locks).");
        }

        return result;
    }

    /// <summary>The counters of the phone passwords, without spending a try (null when the SE has no such password).</summary>
    public PinStatus? PhonePasswordStatus(PinKind kind)
    {
        if (!phone.SecureElement.HasPin(kind))
        {
            return null;
        }

        using var se = OpenSecureElement();
        se.Client.Jpki.SelectAp();
        return se.Client.Jpki.GetPinStatus(kind);
    }

    /// <summary>What a locked phone password tells the person: reset it with the My Number Card.</summary>
    public static string LockedMessage(PinKind kind) => kind == PinKind.Signing
        ? "スマホ用署名用電子証明書のパスワードがロックされています。マイナンバーカードと署名用電子証明書のパスワードで初期化してください（mjpki app reset-password --kind sign） / The phone signing password is locked: reset it with your My Number Card and its signing password (mjpki app reset-password --kind sign)."
        : "スマホ用利用者証明用電子証明書のパスワードがロックされています。マイナンバーカードと利用者証明用の暗証番号で初期化してください（mjpki app reset-password --kind auth） / The phone auth PIN is locked: reset it with your My Number Card and its auth PIN (mjpki app reset-password --kind auth).";

    /// <summary>
    /// Reads the card and signs an application for <paramref name="kinds"/> with keys born in this phone's SE (replacing
    /// those keys), exactly as 利用申請, 解除 and 機種変更 do; for relying-party tests of the service's checks.
    /// </summary>
    public async Task<byte[]> SignApplicationWithCardAsync(IApduChannel card, string cardPassword, IReadOnlyList<Hierarchy> kinds, CancellationToken ct)
    {
        if (!PasswordPolicy.TryNormalizeSigningPassword(cardPassword, out var normalized, out var error))
        {
            throw new AppException("bad-card-password", error);
        }

        var secret = phone.App.Values.GetValueOrDefault(SecretKey) ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        return ReadCardAndSign(card, normalized, [.. kinds], secret, null, await api.GetServerTimeAsync(ct));
    }

    private (byte[] Certificate, byte[] Signature) SignWithCard(IApduChannel card, PinKind kind, string cardSecret, byte[] data)
    {
        screens.Show("マイナンバーカードの読み取り", "Reading your My Number Card", "カードをスマートフォンの読み取り位置に密着させてください / Hold the card against the phone.");
        var cardClient = new JpkiClient(card);
        try
        {
            cardClient.SelectAp();
            var pin = cardClient.Verify(kind, cardSecret);
            if (!pin.Verified)
            {
                var what = kind == PinKind.Signing ? ("署名用電子証明書のパスワード", "signing password") : ("利用者証明用電子証明書の暗証番号", "auth PIN");
                throw pin.Locked
                    ? new AppException("card-locked", $"カードの{what.Item1}がロックされています。市区町村窓口で初期化してください / The card's {what.Item2} is locked; have it reset at your municipal office.")
                    : new AppException(kind == PinKind.Signing ? "wrong-card-password" : "wrong-card-pin", $"カードの{what.Item1}が違います（残り{pin.TriesLeft}回）/ Wrong card {what.Item2} ({pin.TriesLeft} tries left before it locks).");
            }

            using var certificate = cardClient.ReadCertificate(JpkiFiles.CertificateFid(kind));
            using var key = new JpkiRsa(cardClient, kind, certificate.GetRSAPublicKey()!.ExportParameters(false));
            var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            screens.Show("読み取りに成功しました", "Card read successfully", "マイナンバーカードをスマートフォンから離してください / You can take the card away.");
            return (certificate.RawData, signature);
        }
        catch (JpkiCardException ex)
        {
            throw new AppException("card-error", $"カードを読み取れませんでした / The card could not be read (SW {ex.Sw:X4}): {ex.Message}");
        }
    }
}
