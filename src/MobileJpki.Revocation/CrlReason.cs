using MobileJpki.Core;

namespace MobileJpki.Revocation;

/// <summary>RFC 5280 §5.3.1 CRLReason, used by CRL entries and OCSP revokedInfo alike.</summary>
public enum CrlReason
{
    Unspecified = 0,
    KeyCompromise = 1,
    CACompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AACompromise = 10,
}

/// <summary>Our revocation reason strings (<see cref="RevocationReasons"/>) as RFC 5280 reason codes (docs/revocation.md).</summary>
public static class CrlReasons
{
    /// <summary>
    /// Every reason the RA records, mapped by what happened: a successor certificate exists (superseded, 機種変更,
    /// abandoned issuance round, 解除 re-issue, card renewal) → superseded(4); 失効 from the app without successor →
    /// cessationOfOperation(5); address or name change → affiliationChanged(3); a lost card's hold made final →
    /// keyCompromise(1); 一時利用停止 → certificateHold(6). The RFC 5280 names themselves map to their codes. Anything
    /// else, or none, is unspecified, which RFC 5280 asks to encode by leaving the reason out.
    /// </summary>
    public static CrlReason FromReason(string? reason) => reason switch
    {
        RevocationReasons.Superseded or RevocationReasons.DeviceChanged or RevocationReasons.Abandoned
            or RevocationReasons.Resumed or RevocationReasons.CardRenewed => CrlReason.Superseded,
        RevocationReasons.Hold => CrlReason.CertificateHold,
        RevocationReasons.CessationOfOperation => CrlReason.CessationOfOperation,
        RevocationReasons.AffiliationChanged => CrlReason.AffiliationChanged,
        RevocationReasons.KeyCompromise => CrlReason.KeyCompromise,
        "cACompromise" => CrlReason.CACompromise,
        "privilegeWithdrawn" => CrlReason.PrivilegeWithdrawn,
        _ => CrlReason.Unspecified,
    };
}
