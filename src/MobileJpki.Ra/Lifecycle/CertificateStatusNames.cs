namespace MobileJpki.Ra;

/// <summary>The status of a certificate as every view shows it: a certificate past its NotAfter is "expired", whatever was recorded.</summary>
public static class CertificateStatusNames
{
    public const string Expired = "expired";

    /// <summary>"pending", "issued", "active", "revoked", "suspended" or, once NotAfter has passed and it was not revoked, "expired".</summary>
    public static string Of(CertificateRecord certificate, DateTimeOffset now) =>
        certificate.Status != CertificateStatus.Revoked && certificate.NotAfter <= now
            ? Expired
            : certificate.Status.ToString().ToLowerInvariant();
}
