namespace MobileJpki.Ra.Office;

/// <summary>Notices to the phone after a card event at the municipal office (Japanese first, English beside it).</summary>
public static class OfficeNotices
{
    public const string AddressChangedType = "card-address-changed";
    public const string RenewedType = "card-renewed";
    public const string LostType = "card-lost";

    public static NotificationRecord AddressChanged(string phoneId, DateTimeOffset at) => new(
        0, phoneId, AddressChangedType, null, at,
        "住所・氏名の変更によりスマホ用署名用電子証明書が失効しました / Your phone signing certificate was revoked after an address or name change",
        "マイナポータルアプリから署名用電子証明書を再度申請してください（利用者証明用電子証明書は引き続き使えます） / Apply again for the signing certificate in the app (the auth certificate stays valid).");

    public static NotificationRecord Renewed(string phoneId, DateTimeOffset at) => new(
        0, phoneId, RenewedType, null, at,
        "マイナンバーカードの更新によりスマホ用電子証明書が失効しました / Your phone certificates were revoked because the card was renewed",
        "更新したカードでスマホ用電子証明書を新たに申請してください / Apply again with the renewed card.");

    public static NotificationRecord Lost(string phoneId, DateTimeOffset at) => new(
        0, phoneId, LostType, null, at,
        "マイナンバーカードの紛失によりスマホ用電子証明書が失効しました / Your phone certificates were revoked because the card was reported lost",
        "新しいカードの交付を受けてから、改めて申請してください / Apply again once you have received a new card.");
}
