using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.App;

/// <summary>
/// The portal app (マイナポータルアプリ) on a virtual phone: the seed's screens in order, the card read
/// over APDUs, keys born in the phone's secure element, and the service's API.
/// </summary>
public sealed partial class PortalApp(VirtualPhone phone, Action save, ServerApi api, IAppScreens screens, TimeProvider time)
{
    private const string SecretKey = "deviceSecret";
    private const string ApplicationKey = "applicationId";
    private const string LastNoticeKey = "lastNotification";
    private const string AppliedNoticesKey = "appliedNotifications";
    private const int AppliedNoticesKept = 32;

    public VirtualPhone Phone => phone;

    /// <summary>The application the app is waiting for, if any.</summary>
    public string? PendingApplicationId => phone.App.Values.GetValueOrDefault(ApplicationKey);

    /// <summary>利用申請, the seed's steps 1–8. Returns the server's receipt.</summary>
    public Task<ApplicationReceipt> ApplyAsync(IApduChannel card, ApplyOptions options, CancellationToken ct) =>
        ApplyCoreAsync(card, options, api.SubmitApplicationAsync, ct);

    /// <summary>The seed's steps 1–8; <paramref name="submit"/> sends the signed application (利用申請 or 機種変更).</summary>
    private async Task<ApplicationReceipt> ApplyCoreAsync(IApduChannel card, ApplyOptions options, Func<byte[], CancellationToken, Task<ApplicationReceipt>> submit, CancellationToken ct)
    {
        // Script answers are checked before the card or the SE is touched, so a typo changes nothing.
        ValidateUpFront(options);
        if (phone.App.Values.ContainsKey(SecretKey))
        {
            await SyncAsync(ct);
        }

        // Step 1: only a compatible phone is offered the service.
        if (!phone.IsEligibleForService)
        {
            screens.Show("このスマートフォンは対象外です", "This phone is not supported", $"{phone.Model.Maker} {phone.Model.Name} ({phone.Model.Id}) はスマホ用電子証明書に対応していません / does not support smartphone certificates.");
            throw new AppException("unsupported-phone", $"この機種はスマホ用電子証明書に対応していません / The model {phone.Model.Id} does not support smartphone certificates.");
        }

        screens.Show("スマホ用電子証明書が申請できます", "You can apply for smartphone certificates", "［申請する］/ [Apply]");
        screens.Show(
            "スマホ搭載でできること",
            "What you can do with certificates on your phone",
            "・マイナンバーカードなしでマイナポータルにログイン / Log in to the portal without the card\n" +
            "・転出届・パスポート申請などの電子申請 / Signed e-applications (moving-out, passport, …)\n" +
            "・コンビニ交付・健康保険証としての利用 / Convenience-store certificates, health insurance\n" +
            "［登録する］/ [Register]");

        // Step 2: the card's signing password.
        var cardPassword = options.CardPassword ?? screens.Ask("マイナンバーカード用署名用電子証明書のパスワード", "Card signing password (6–16 A–Z/0–9)", secret: true);
        if (!PasswordPolicy.TryNormalizeSigningPassword(cardPassword, out var cardPasswordNormalized, out var cardPasswordError))
        {
            throw new AppException("bad-card-password", cardPasswordError);
        }

        // Step 3: the kinds, both ticked by default.
        var kinds = options.Kinds is { Count: > 0 } k ? k.Distinct().ToArray() : [Hierarchy.Signing, Hierarchy.Auth];
        screens.Show(
            "申請する電子証明書",
            "Certificates to apply for",
            $"[{(kinds.Contains(Hierarchy.Signing) ? "x" : " ")}] 署名用電子証明書 / Signing certificate\n[{(kinds.Contains(Hierarchy.Auth) ? "x" : " ")}] 利用者証明用電子証明書 / User authentication certificate");

        // Step 4: 確認しました.
        if (!options.Confirmed && !screens.Confirm("内容を確認しました", "I have read and confirm the above"))
        {
            throw new AppException("not-confirmed", "「確認しました」にチェックしてください / Tick \"I confirm\" to apply.");
        }

        screens.Show("確認しました", "Confirmed", "［申請する］/ [Apply]");

        // Step 5: read the card and sign the application with the card's signing key.
        var secret = phone.App.Values.GetValueOrDefault(SecretKey) ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var serverNow = await api.GetServerTimeAsync(ct);
        var cms = ReadCardAndSign(card, cardPasswordNormalized, kinds, secret, options.Email, serverNow);

        // Step 6.
        screens.Show("読み取りに成功しました", "Card read successfully", "マイナンバーカードをスマートフォンから離してください / You can take the card away.");
        screens.Show("読み取り完了", "Reading complete", "［次へ］/ [Next]");

        // Step 7: the new phone passwords, each entered twice, set inside the SE.
        using (var se = OpenSecureElement())
        {
            if (kinds.Contains(Hierarchy.Signing))
            {
                var pw = AskNew(PinKind.Signing, options.NewSigningPassword, options.NewSigningPasswordConfirmation);
                se.Client.SetPin(PinKind.Signing, pw);
            }

            if (kinds.Contains(Hierarchy.Auth))
            {
                var pin = AskNew(PinKind.Auth, options.NewAuthPin, options.NewAuthPinConfirmation);
                se.Client.SetPin(PinKind.Auth, pin);
            }
        }

        var receipt = await submit(cms, ct);
        phone.App.Values[SecretKey] = secret;
        phone.App.Values[ApplicationKey] = receipt.ApplicationId;
        save();

        // Step 8.
        screens.Show(
            "申請完了",
            "Application complete",
            receipt.Message + "\n発行されるとプッシュ通知が届きます。通知が届いたら利用登録を行ってください / You will be notified when the certificates are issued; then register them (利用登録).");
        return receipt;
    }

    /// <summary>Waits for the push notification of the pending application.</summary>
    public async Task<PhoneNotification> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var (phoneId, secret) = Credentials();
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var remaining = (deadline - time.GetTimestamp()) / (double)time.TimestampFrequency;
            if (remaining <= 0)
            {
                throw new AppException("timeout", "通知が届きませんでした / No notification arrived in time; the application may be waiting for the next opening (see `mjpki app status`).");
            }

            var after = long.TryParse(phone.App.Values.GetValueOrDefault(LastNoticeKey), out var a) ? a : 0;
            var notices = await api.GetNotificationsAsync(phoneId, secret, after, (int)Math.Clamp(Math.Ceiling(remaining), 1, 30), ct);
            foreach (var notice in notices)
            {
                if (!MarkApplied(notice))
                {
                    continue;
                }

                screens.Show("プッシュ通知: " + notice.Title.Split(" / ")[0], "Notification: " + (notice.Title.Split(" / ").ElementAtOrDefault(1) ?? notice.Title), notice.Body);
                if (notice.Type == "wipe")
                {
                    await SyncAsync(ct);
                }
                else if (notice.ApplicationId is not null && notice.ApplicationId == PendingApplicationId)
                {
                    return notice;
                }
            }
        }
    }

    /// <summary>利用登録: fetches the issued certificates, writes them into the SE (which checks each matches its key), then reports them.</summary>
    public async Task<IReadOnlyList<X509Certificate2>> RegisterAsync(CancellationToken ct)
    {
        var status = await SyncAsync(ct, withCertificates: true);
        var issued = status.Certificates.Where(c => c.Status == "issued" && c.Certificate is not null).ToArray();
        if (issued.Length == 0)
        {
            var pending = status.Applications.LastOrDefault();
            throw pending is { Status: "queued" or "processing" }
                ? new AppException("not-issued-yet", $"まだ発行されていません（処理予定 {pending.ProcessAfter.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST）/ Not issued yet; wait for the notification.")
                : new AppException("nothing-to-register", "利用登録できる電子証明書はありません / There are no issued certificates to register.");
        }

        screens.Show("利用登録", "Registration (利用登録)", "電子証明書をスマートフォンに書き込みます / Writing the certificates into the phone's secure element.");
        var written = new List<X509Certificate2>();
        using (var se = OpenSecureElement())
        {
            foreach (var view in issued)
            {
                CertificateKinds.TryParseWireName(view.Kind, out var hierarchy);
                var kind = hierarchy == Hierarchy.Signing ? PinKind.Signing : PinKind.Auth;
                var der = Convert.FromBase64String(view.Certificate!);
                var caDer = await api.GetBytesAsync($"/ca/{hierarchy.WireName()}.cer", ct);
                try
                {
                    se.Client.PutCertificate(JpkiFiles.CaCertificateFid(kind), caDer);
                    se.Client.PutCertificate(JpkiFiles.CertificateFid(kind), der);
                }
                catch (JpkiCardException ex)
                {
                    throw new AppException("certificate-mismatch", $"電子証明書がこのスマートフォンの鍵と一致しません / The {view.Kind} certificate does not match the key in this phone's secure element (SW {ex.Sw:X4}).");
                }

                written.Add(X509CertificateLoader.LoadCertificate(der));
            }
        }

        var (phoneId, secret) = Credentials();
        await api.RegisterAsync(phoneId, secret, issued.Select(c => c.Serial).ToArray(), ct);
        phone.App.Values.Remove(ApplicationKey);
        save();
        screens.Show("利用登録が完了しました", "Registration complete", string.Join('\n', written.Select(c => $"・{Describe(c)} serial {c.SerialNumber.ToLowerInvariant()}, 有効期限 / valid until {c.NotAfter:yyyy-MM-dd}")));
        return written;
    }

    /// <summary>Asks the server about this phone; deletes the SE data when the certificates moved to another phone.</summary>
    public async Task<PhoneStatus> SyncAsync(CancellationToken ct, bool withCertificates = false)
    {
        var (phoneId, secret) = Credentials();
        var status = await api.GetStatusAsync(phoneId, secret, withCertificates, ct);
        if (status.Wipe)
        {
            using (var se = OpenSecureElement())
            {
                se.Client.Wipe();
            }

            await api.AcknowledgeWipeAsync(phoneId, secret, ct);
            phone.App.Values.Remove(ApplicationKey);
            save();
            screens.Show("電子証明書を削除しました", "Certificates deleted", "別のスマートフォンで電子証明書が発行されたため、このスマートフォンの電子証明書は失効し削除されました / Certificates were issued to another phone, so this phone's were revoked and deleted.");
            status = await api.GetStatusAsync(phoneId, secret, withCertificates, ct);
        }

        return status;
    }

    /// <summary>The certificates in the phone's SE (public data, as the phone's settings screen shows them).</summary>
    public static IReadOnlyList<X509Certificate2> ReadCertificates(VirtualPhone phone) =>
        new[] { PinKind.Signing, PinKind.Auth }
            .Select(phone.SecureElement.CertificateDer)
            .OfType<byte[]>()
            .Select(X509CertificateLoader.LoadCertificate)
            .ToArray();

    /// <summary>
    /// Notices are delivered at least once, so the app applies each once: one at or below the last id seen, or a
    /// repeat of a notice already applied (same type for the same application), is skipped. Returns false for those.
    /// </summary>
    private bool MarkApplied(PhoneNotification notice)
    {
        var last = long.TryParse(phone.App.Values.GetValueOrDefault(LastNoticeKey), out var l) ? l : 0;
        if (notice.Id <= last)
        {
            return false;
        }

        phone.App.Values[LastNoticeKey] = notice.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fresh = true;
        if (notice.ApplicationId is not null)
        {
            var key = $"{notice.Type}:{notice.ApplicationId}";
            var applied = (phone.App.Values.GetValueOrDefault(AppliedNoticesKey) ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            fresh = !applied.Contains(key, StringComparer.Ordinal);
            if (fresh)
            {
                applied.Add(key);
                phone.App.Values[AppliedNoticesKey] = string.Join(' ', applied.TakeLast(AppliedNoticesKept));
            }
        }

        save();
        return fresh;
    }

    private (string PhoneId, string Secret) Credentials()
    {
        var secret = phone.App.Values.GetValueOrDefault(SecretKey)
            ?? throw new AppException("not-applied", "このスマートフォンからはまだ申請していません / This phone has not applied yet (run `mjpki app apply`).");
        return (phone.PhoneId, secret);
    }

    private byte[] ReadCardAndSign(IApduChannel card, string cardPassword, Hierarchy[] kinds, string secret, string? email, DateTimeOffset createdAt)
    {
        screens.Show("マイナンバーカードの読み取り", "Reading your My Number Card", "カードをスマートフォンの読み取り位置に密着させてください / Hold the card against the phone.");
        screens.Progress(10, "カードに接続しています", "Connecting to the card");
        var cardClient = new JpkiClient(card);
        try
        {
            cardClient.SelectAp();
            screens.Progress(25, "パスワードを確認しています", "Checking the password");
            var pin = cardClient.Verify(PinKind.Signing, cardPassword);
            if (!pin.Verified)
            {
                throw pin.Locked
                    ? new AppException("card-locked", "署名用電子証明書のパスワードがロックされています。市区町村窓口で初期化してください / The card's signing password is locked; have it reset at your municipal office.")
                    : new AppException("wrong-card-password", $"パスワードが違います（残り{pin.TriesLeft}回）/ Wrong card signing password ({pin.TriesLeft} tries left before it locks).");
            }

            screens.Progress(45, "電子証明書を読み取っています", "Reading the signing certificate");
            using var cardCert = cardClient.ReadCertificate(JpkiFiles.SigningCertificate);

            screens.Progress(60, "スマートフォン内で鍵を生成しています", "Generating keys inside the phone's secure element");
            var nonce = RandomNumberGenerator.GetBytes(32);
            var challenge = EnrollmentApplication.AttestationChallenge(nonce);
            var keys = new List<ApplicationKey>();
            using (var se = OpenSecureElement())
            {
                var chain = se.Client.ReadAttestationChain();
                foreach (var hierarchy in kinds)
                {
                    using var attestation = se.Client.GenerateKeyPair(hierarchy == Hierarchy.Signing ? PinKind.Signing : PinKind.Auth, challenge);
                    keys.Add(new ApplicationKey
                    {
                        Kind = hierarchy.WireName(),
                        PublicKey = Convert.ToBase64String(attestation.PublicKey.ExportSubjectPublicKeyInfo()),
                        Attestation = [Convert.ToBase64String(attestation.RawData), Convert.ToBase64String(chain[0].RawData)],
                    });
                }
            }

            screens.Progress(80, "申請データにカードで署名しています", "Signing the application with the card");
            var content = new EnrollmentApplication
            {
                Nonce = Convert.ToBase64String(nonce),
                CreatedAt = createdAt,
                Device = new DeviceFacts { PhoneId = phone.PhoneId, Model = phone.Model.Id, Os = phone.OsVersion },
                DeviceSecretHash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret))),
                Keys = keys,
                Email = email,
            };
            using var cardKey = new JpkiRsa(cardClient, PinKind.Signing, cardCert.GetRSAPublicKey()!.ExportParameters(false));
            var signed = new SignedCms(new ContentInfo(content.ToJsonBytes()), detached: false);
            signed.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, cardCert, cardKey) { IncludeOption = X509IncludeOption.EndCertOnly });
            screens.Progress(100, "読み取りが終わりました", "Done");
            return signed.Encode();
        }
        catch (JpkiCardException ex)
        {
            throw new AppException("card-error", $"カードを読み取れませんでした / The card could not be read (SW {ex.Sw:X4}): {ex.Message}");
        }
    }

    private string AskNew(PinKind kind, string? given, string? confirmation)
    {
        var (ja, en) = kind == PinKind.Signing
            ? ("スマホ用署名用電子証明書の新しいパスワード（英大文字と数字を含む6〜16文字）", "New phone signing password (6–16 of A–Z and 0–9, both)")
            : ("スマホ用利用者証明用電子証明書の新しいパスワード（数字4桁）", "New phone auth PIN (4 digits)");
        for (var attempt = 0; ; attempt++)
        {
            var first = given ?? screens.Ask(ja, en, secret: true);
            var second = given is null ? screens.Ask("確認のためもう一度入力してください", "Enter it again to confirm", secret: true) : (confirmation ?? given);
            var error = CheckNew(kind, first, second);
            if (error is null)
            {
                return first;
            }

            if (given is not null || attempt >= 2)
            {
                throw new AppException("bad-new-password", error);
            }

            screens.Show("入力内容を確認してください", "Please check your input", error);
        }
    }

    private static void ValidateUpFront(ApplyOptions o)
    {
        if (o.NewSigningPassword is not null && CheckNew(PinKind.Signing, o.NewSigningPassword, o.NewSigningPasswordConfirmation ?? o.NewSigningPassword) is { } e1)
        {
            throw new AppException("bad-new-password", e1);
        }

        if (o.NewAuthPin is not null && CheckNew(PinKind.Auth, o.NewAuthPin, o.NewAuthPinConfirmation ?? o.NewAuthPin) is { } e2)
        {
            throw new AppException("bad-new-password", e2);
        }

        if (o.CardPassword is not null && !PasswordPolicy.TryNormalizeSigningPassword(o.CardPassword, out _, out var e3))
        {
            throw new AppException("bad-card-password", e3);
        }
    }

    private static string? CheckNew(PinKind kind, string value, string confirmation)
    {
        if (kind == PinKind.Signing)
        {
            if (!PasswordPolicy.TryNormalizeSigningPassword(value, out var normalized, out var error))
            {
                return error;
            }

            return PasswordPolicy.TryNormalizeSigningPassword(confirmation, out var normalizedConfirmation, out _) && normalizedConfirmation == normalized
                ? null
                : "確認用のパスワードが一致しません / The two passwords do not match.";
        }

        if (!PasswordPolicy.TryValidateAuthPin(value, out var pinError))
        {
            return pinError;
        }

        return value == confirmation ? null : "確認用のパスワードが一致しません / The two PINs do not match.";
    }

    private static string Describe(X509Certificate2 cert) => CertificatePolicies.KindOf(cert) switch
    {
        CertificateKind.PhoneSigning => "スマホ用署名用電子証明書 / phone signing",
        CertificateKind.PhoneAuth => "スマホ用利用者証明用電子証明書 / phone auth",
        var other => other?.ToString() ?? "unknown",
    };

    private SeSession OpenSecureElement() => new(phone);

    /// <summary>A channel to the SE opened with the portal app's identity.</summary>
    private sealed class SeSession(VirtualPhone phone) : IDisposable
    {
        public SecureElementClient Client { get; } = new(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));

        public void Dispose()
        {
        }
    }
}
