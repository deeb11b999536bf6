namespace MobileJpki.Ra;

/// <summary>
/// Whether a certificate may still stand behind something it opened earlier (a portal, kiosk or hospital session, an
/// OIDC refresh): Active and not expired, as of now. One rule for every such re-check.
/// </summary>
public static class CertificateValidity
{
    public static bool IsValid(CertificateStatus? status, DateTimeOffset? notAfter, DateTimeOffset now) =>
        status == CertificateStatus.Active && notAfter is { } end && now < end;

    public static bool IsValid(CertificateRecord? record, DateTimeOffset now) =>
        record is not null && IsValid(record.Status, record.NotAfter, now);
}
