using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>
/// Who may write a phone record (its owner and device secret). Storage calls <see cref="Refusal"/> inside the
/// transaction that writes the application, after locking the phone row, with what refers to the phone at that moment.
/// </summary>
public static class PhoneOwnership
{
    /// <summary>An application in these states still waits to put certificates on its phone.</summary>
    public static IReadOnlyList<ApplicationStatus> UnfinishedApplications { get; } = [ApplicationStatus.Queued, ApplicationStatus.Processing];

    /// <summary>
    /// A certificate in these states is (or may again be) on its phone: issued and waiting to be fetched, in use, or on
    /// hold. Pending intents were never signed and revoked ones are dead, so neither ties the phone to anyone.
    /// </summary>
    public static IReadOnlyList<CertificateStatus> HeldCertificates { get; } = [CertificateStatus.Issued, CertificateStatus.Active, CertificateStatus.Suspended];

    /// <summary>
    /// Null when <paramref name="applicant"/> may take the phone record; otherwise the refusal. <paramref name="holders"/>
    /// are the persons with an unfinished application (<see cref="UnfinishedApplications"/>) or a held certificate
    /// (<see cref="HeldCertificates"/>) on the phone. Re-applying from one's own phone may replace its secret; a phone
    /// whose earlier owner's certificates are all revoked and applications finished may change hands (a phone sold on).
    /// </summary>
    public static MjpkiException? Refusal(Guid applicant, IEnumerable<Guid> holders) =>
        holders.Any(p => p != applicant) ? InUse() : null;

    public static MjpkiException InUse() => MjpkiException.Conflict(
        "phone-in-use",
        "このスマートフォンには別の方の申請または電子証明書があります / This phone has another person's application or certificates; they must be finished or revoked before it can be used for a new application.");
}
