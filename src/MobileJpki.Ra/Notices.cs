namespace MobileJpki.Ra;

/// <summary>The texts of the notices sent to phones (Japanese first, English beside it).</summary>
public static class Notices
{
    public const string IssuedType = "issued";
    public const string RejectedType = "rejected";
    public const string WipeType = "wipe";
    public const string SuspendedType = "suspended";

    public static NotificationRecord Issued(string phoneId, Guid applicationId, DateTimeOffset at) => new(
        0, phoneId, IssuedType, applicationId, at,
        "スマホ用電子証明書の発行が完了しました / Your smartphone certificates are ready",
        "マイナポータルアプリを開いて利用登録を行ってください / Open the app and register them (利用登録).");

    public static NotificationRecord Rejected(string phoneId, Guid applicationId, string reason, DateTimeOffset at) => new(
        0, phoneId, RejectedType, applicationId, at,
        "スマホ用電子証明書を発行できませんでした / Your application could not be issued",
        reason);

    public static NotificationRecord Wipe(string phoneId, DateTimeOffset at) => new(
        0, phoneId, WipeType, null, at,
        "このスマホの電子証明書は失効しました / The certificates on this phone were revoked",
        "別のスマホに電子証明書が発行されたため、このスマホの電子証明書を削除します / Certificates were issued to another phone; this phone's will be deleted.");

    public static NotificationRecord Suspended(string phoneId, DateTimeOffset at) => new(
        0, phoneId, SuspendedType, null, at,
        "スマホ用電子証明書を一時利用停止しました / Your smartphone certificates were suspended",
        "スマホを見つけたらマイナポータルアプリから一時利用停止を解除できます / If you find the phone, resume them (解除) in the app.");
}
