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

/// <summary>Our revocation reason strings (CertificateEntity.RevocationReason) as RFC 5280 reason codes (docs/revocation.md).</summary>
public static class CrlReasons
{
    /// <summary>
    /// "superseded" (a new certificate of the same kind replaced it on the same phone) and "device-changed" (機種変更:
    /// the certificate on the new phone replaced it) are both superseded(4): in each case a successor certificate
    /// exists, which is what superseded means. cessationOfOperation(5) is meant for revocations without a successor
    /// (失効 from the app) once the RA records them. Anything else, or none, is unspecified, which RFC 5280 asks to
    /// encode by leaving the reason out.
    /// </summary>
    public static CrlReason FromReason(string? reason) => reason switch
    {
        "superseded" or "device-changed" => CrlReason.Superseded,
        _ => CrlReason.Unspecified,
    };
}
