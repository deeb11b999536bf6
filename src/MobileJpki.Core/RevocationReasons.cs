namespace MobileJpki.Core;

/// <summary>
/// Why a certificate was revoked or put on hold, as stored with it. The revocation service maps each to an RFC 5280
/// CRLReason (docs/revocation.md); the names are ours so that the records say what happened, not only the code.
/// </summary>
public static class RevocationReasons
{
    /// <summary>A new certificate of the same kind replaced it on the same phone (superseded).</summary>
    public const string Superseded = "superseded";

    /// <summary>機種変更: certificates issued to another phone of the same person replaced it (superseded).</summary>
    public const string DeviceChanged = "device-changed";

    /// <summary>Signed during an interrupted issuance round and never handed out (superseded: it was issued again).</summary>
    public const string Abandoned = "abandoned";

    /// <summary>一時利用停止 by the hotline, or a card reported lost: on hold until resumed or made final (certificateHold).</summary>
    public const string Hold = "certificateHold";

    /// <summary>解除: the signing certificate of a suspended phone, revoked and issued again (superseded).</summary>
    public const string Resumed = "resumed";

    /// <summary>失効 from the app: the person stopped using the phone certificates (cessationOfOperation).</summary>
    public const string CessationOfOperation = "cessationOfOperation";

    /// <summary>Address or name change at the municipal office (affiliationChanged).</summary>
    public const string AffiliationChanged = "affiliationChanged";

    /// <summary>Card renewed: its certificates were replaced (superseded), and the phone's with them.</summary>
    public const string CardRenewed = "card-renewed";

    /// <summary>A lost card's hold made final (keyCompromise: someone else may hold the key).</summary>
    public const string KeyCompromise = "keyCompromise";
}
