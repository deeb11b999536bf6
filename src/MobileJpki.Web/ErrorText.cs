namespace MobileJpki.Web;

/// <summary>
/// Refusals as the pages show them: always Japanese and English. The API words many refusals in both already; for the
/// others the catalog gives the Japanese by error code (docs/errors.md), and an unknown code still gets a Japanese lead.
/// </summary>
public static class ErrorText
{
    // One fixed sentence per code, worded as the real app would: the English message after the slash carries the
    // details (counts, limits, field names), so the catalog never needs to parse it.
    private static readonly Dictionary<string, string> Japanese = new(StringComparer.Ordinal)
    {
        // Applications (利用申請) and the card's signing certificate.
        ["malformed-application"] = "申請データの形式が正しくありません。もう一度申請してください",
        ["bad-signature"] = "申請データの署名を確認できませんでした。もう一度申請してください",
        ["not-card-signing-certificate"] = "マイナンバーカードの署名用電子証明書で署名されていません",
        ["foreign-card-certificate"] = "このマイナンバーカードの電子証明書は本サービスで確認できません",
        ["card-certificate-expired"] = "マイナンバーカードの電子証明書の有効期限が切れています。市区町村窓口で更新してください",
        ["unknown-card-certificate"] = "マイナンバーカードの電子証明書を確認できませんでした",
        ["card-certificate-revoked"] = "マイナンバーカードの電子証明書は失効しています。市区町村窓口にお問い合わせください",
        ["card-certificate-on-hold"] = "マイナンバーカードの署名用電子証明書は紛失届により一時停止中です。市区町村窓口にお問い合わせください",
        ["stale-application"] = "申請データの作成から時間が経ちすぎています。もう一度申請してください",
        ["unsupported-model"] = "お使いの機種はスマホ用電子証明書搭載サービスに対応していません",
        ["bad-kinds"] = "申請する電子証明書の種類が正しくありません（署名用・利用者証明用）",
        ["bad-key"] = "鍵が条件を満たしていません",
        ["bad-attestation"] = "スマートフォンの安全な領域で作られた鍵であることを確認できませんでした",
        ["bad-email"] = "メールアドレスが正しくありません",
        ["bad-field"] = "入力内容に誤りがあります",
        ["bad-request"] = "リクエストの内容を読み取れませんでした",
        ["body-too-large"] = "送信されたデータが大きすぎます",
        ["replayed-application"] = "この申請はすでに送信されています",
        ["wipe-pending"] = "古いスマホ用電子証明書の削除が必要です。アプリを開いてから、もう一度申請してください",
        ["phone-in-use"] = "このスマートフォンには別の方の申請中の手続きまたはスマホ用電子証明書があります。完了または失効してから申請してください",
        ["phone-id-mismatch"] = "申請の端末IDが、スマートフォンの安全な領域が証明する端末IDと一致しません",
        ["phone-unauthorized"] = "このスマートフォンを確認できませんでした",
        ["bad-registration"] = "利用登録の内容が正しくありません",
        ["unknown-certificate"] = "この電子証明書はこのスマートフォンに発行されていません",
        ["bad-subscription"] = "通知の登録内容が正しくありません",
        ["not-registrable"] = "この電子証明書は利用登録できません（未発行または失効済みです）",

        // Municipal office (市区町村窓口).
        ["office-unauthorized"] = "窓口の認証キーが正しくありません",
        ["office-closed"] = "窓口の機能は現在利用できません",
        ["metrics-unauthorized"] = "監視用の情報は許可された監視システムにのみ提供されます",
        ["unknown-person"] = "この方の記録がありません",
        ["unknown-card"] = "このカードの電子証明書は記録にありません",
        ["card-revoked"] = "このカードの電子証明書は失効しています。カードの更新が必要です",
        ["card-on-hold"] = "紛失届により一時停止中のカードです。発見の届出か更新が必要です",
        ["not-on-hold"] = "このカードの電子証明書は一時停止されていません",
        ["card-changed"] = "処理中にカードの電子証明書の状態が変わりました。何も変更していません。もう一度お試しください",
        ["bad-clock-change"] = "時計の変更内容が正しくありません（時計は進めることしかできません）",
        ["hsm-unavailable"] = "電子証明書を発行する装置に接続できません。しばらくしてからもう一度お試しください",
        ["database-unavailable"] = "データベースに接続できません。しばらくしてからもう一度お試しください",
        ["rate-limited"] = "リクエストが多すぎます。しばらくしてからもう一度お試しください",

        // Operator console (コールセンター).
        ["sign-in-failed"] = "オペレーター名またはパスワードが違います",
        ["operator-locked"] = "このアカウントはロックされています。スーパーバイザーに連絡してください",
        ["operator-unauthorized"] = "サインインが必要です",
        ["operator-forbidden"] = "この操作の権限がありません",
        ["operator-exists"] = "このオペレーター名はすでに使われています",
        ["unknown-operator"] = "このオペレーターは登録されていません",
        ["bad-operator-name"] = "オペレーター名は英小文字・数字・「.」「_」「-」の2〜64文字です",
        ["bad-role"] = "役割は operator か supervisor です",
        ["weak-operator-password"] = "パスワードは12〜256文字の印字可能な文字です",
        ["reason-required"] = "一時利用停止の理由を入力してください",
        ["bad-reason"] = "理由は200文字以内で、制御文字は使えません",

        // Suspend, resume, revoke, password reset, device change.
        ["nothing-to-suspend"] = "一時利用停止できるスマホ用電子証明書がありません",
        ["already-suspended"] = "このスマホ用電子証明書はすでに一時利用停止中です",
        ["not-suspended"] = "このスマホの電子証明書は一時利用停止されていません",
        ["not-suspended-phone"] = "一時利用停止されているのは別のスマホの電子証明書です。停止したスマホから解除してください",
        ["resume-needs-card"] = "署名用電子証明書を再発行するため、マイナンバーカードの読み取りが必要です",
        ["application-phone-mismatch"] = "この申請は別のスマートフォンで作成されています",
        ["card-of-another-person"] = "このマイナンバーカードはこのスマホ用電子証明書の持ち主のものではありません",
        ["card-certificate-suspended"] = "マイナンバーカードの電子証明書が一時停止されています。市区町村窓口にお問い合わせください",
        ["nothing-to-revoke"] = "失効できるスマホ用電子証明書がありません",
        ["confirmation-required"] = "機種変更すると、以前のスマホのスマホ用電子証明書は失効します。確認してから進んでください",
        ["nothing-to-reset"] = "このスマホにはその種類のスマホ用電子証明書がありません",
        ["bad-challenge"] = "チャレンジが正しくありません。もう一度やり直してください",
        ["challenge-expired"] = "有効期限が切れました。もう一度やり直してください",
        ["challenge-used"] = "この操作はすでに完了しています。もう一度やり直してください",

        // Portal login, kiosk, e-applications, information views.
        ["signature-not-accepted"] = "署名または電子証明書を確認できませんでした",
        ["certificate-suspended"] = "この電子証明書は一時利用停止中です。マイナポータルアプリから解除してください",
        ["certificate-revoked"] = "この電子証明書は失効しています",
        ["certificate-expired"] = "この電子証明書は有効期限が切れています",
        ["certificate-not-registered"] = "この電子証明書は利用登録されていません",
        ["session-invalid"] = "ログインしてください（セッションが無効または期限切れです）",
        ["terminal-unauthorized"] = "端末を確認できませんでした",
        ["unknown-document-type"] = "この証明書は交付できません",
        ["no-resident-record"] = "住民票の情報を確認できません。市区町村窓口にお問い合わせください",
        ["unknown-e-application-type"] = "申請の種類が不明です",
        ["malformed-e-application"] = "電子申請の形式が正しくありません",
        ["not-phone-signing-certificate"] = "電子申請はスマホ用署名用電子証明書で署名してください",
        ["bad-e-application-signature"] = "電子申請の署名を検証できませんでした",
        ["stale-e-application"] = "署名から時間が経ちすぎています。もう一度署名してください",
        ["signer-not-session-person"] = "ログインしている方の電子証明書で署名されていません",
        ["e-application-type-mismatch"] = "署名された申請の種類が送信された種類と異なります",
        ["bad-form"] = "入力内容に誤りがあります",
        ["unknown-e-application"] = "その電子申請はありません",
        ["e-application-duplicate"] = "この電子申請はすでに受け付けています",
        ["unknown-information-view"] = "その情報はありません",

        // Relying parties (device link, signing API, registration).
        ["device-link-unknown"] = "このコードは見つかりません",
        ["device-link-expired"] = "このコードは有効期限が切れています。もう一度やり直してください",
        ["device-link-used"] = "このコードはすでに使われています",
        ["sign-transaction-wrong-person"] = "この署名依頼は別の方に宛てたものです",
        ["bad-digest"] = "署名する値が正しくありません",
        ["bad-description"] = "署名の説明は200文字以内で入力してください",
        ["sign-transaction-not-found"] = "この署名依頼は見つかりません",
        ["rp-token-invalid"] = "アクセストークンが無効です",
        ["rp-scope-missing"] = "署名の権限が許可されていません",
        ["bad-jwks"] = "公開鍵の形式が正しくありません",
        ["bad-redirect-uri"] = "リダイレクト先のURLが正しくありません",
        ["rp-admin-unauthorized"] = "管理キーが正しくありません",
        ["rp-admin-closed"] = "サービスの登録は現在利用できません",
        ["internal"] = "システムエラーが発生しました。しばらくしてからもう一度お試しください",
        ["hsm-module-unavailable"] = "電子証明書を発行する装置を読み込めません。しばらくしてからもう一度お試しください",
        ["hsm-token-not-found"] = "電子証明書を発行する装置が見つかりません。しばらくしてからもう一度お試しください",
        ["hsm-pin-missing"] = "電子証明書を発行する装置の設定が不足しています",
        ["ca-key-invalid"] = "認証局の鍵が正しくありません",
        ["key-unreadable"] = "認証局の鍵を読み込めません",
        ["foreign-prepared-certificate"] = "別の認証局の証明書です",

        // The app itself (src/MobileJpki.App) and the simulator: checks made on the phone before anything is sent.
        ["input-needed"] = "入力が足りません",
        ["bad-card-password"] = "署名用電子証明書のパスワードは英大文字と数字を含む6〜16文字です",
        ["bad-card-pin"] = "利用者証明用電子証明書の暗証番号は数字4桁です",
        ["bad-pin"] = "暗証番号は数字4桁です",
        ["bad-sign-password"] = "パスワードは英大文字と数字を含む6〜16文字です",
        ["bad-phone-password"] = "パスワードが条件を満たしていません",
        ["bad-new-password"] = "新しいパスワードが条件を満たしていないか、確認用と一致しません",
        ["wrong-card-password"] = "マイナンバーカードのパスワードが違います",
        ["wrong-card-pin"] = "マイナンバーカードの暗証番号が違います",
        ["wrong-phone-password"] = "スマホ用電子証明書のパスワードが違います",
        ["phone-password-locked"] = "パスワードがロックされています。マイナンバーカードで初期化してください",
        ["card-locked"] = "マイナンバーカードのパスワードがロックされています。市区町村窓口で初期化してください",
        ["card-error"] = "マイナンバーカードを読み取れませんでした",
        ["se-error"] = "スマートフォンの安全な領域で処理できませんでした",
        ["certificate-mismatch"] = "電子証明書がこのスマートフォンの鍵と一致しません",
        ["not-confirmed"] = "確認が取れなかったため、手続きを取りやめました",
        ["bad-model"] = "機種を選んでください",
        ["unsupported-phone"] = "この機種はスマホ用電子証明書に対応していません",
        ["too-many-devices"] = "このブラウザで作れる端末の上限に達しました",
        ["timeout"] = "通知が届きませんでした。しばらくしてからもう一度お試しください",
        ["not-issued-yet"] = "スマホ用電子証明書はまだ発行されていません",
        ["not-applied"] = "このスマートフォンからはまだ申請していません",
        ["nothing-to-register"] = "利用登録できる電子証明書はありません",
        ["no-certificate"] = "このスマホには必要なスマホ用電子証明書がありません",
        ["no-auth-certificate"] = "このスマホには利用者証明用電子証明書がありません",
        ["no-phone-signing-certificate"] = "このスマホにはスマホ用署名用電子証明書がありません",
        ["origin-mismatch"] = "接続先のサーバーが一致しません",
        ["server-unreachable"] = "サーバーに接続できません。しばらくしてからもう一度お試しください",
        ["bad-server"] = "サーバーのURLが正しくありません",
        ["no-match"] = "該当する方が見つかりません",
        ["bad-input"] = "入力内容を確認してください",
        ["bad-response"] = "サーバーの応答を読み取れませんでした",
        ["choose-card"] = "読み取るマイナンバーカードを選んでください",
        ["card-not-chosen"] = "マイナンバーカードを選んでください",
        ["not-logged-in"] = "マイナポータルにログインしてください",
    };

    /// <summary>"日本語 / English" for a refusal with <paramref name="code"/> and the API's <paramref name="message"/>.</summary>
    public static string Describe(string? code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (HasJapanese(message))
        {
            return message;
        }

        var ja = code is not null && Japanese.TryGetValue(code, out var known) ? known : "処理できませんでした";
        return $"{ja} / {message}";
    }

    /// <summary>True when the catalog has a Japanese text for <paramref name="code"/>.</summary>
    public static bool Knows(string code) => Japanese.ContainsKey(code);

    private static bool HasJapanese(string text) =>
        text.Any(c => c is (>= '\u3040' and <= '\u30ff') or (>= '\u4e00' and <= '\u9fff'));
}
