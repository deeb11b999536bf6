using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>What storage read under a person's lock for a lifecycle step: all their phone certificates and unfinished applications.</summary>
public sealed record PersonPhones(IReadOnlyList<CertificateRecord> Certificates, IReadOnlyList<ApplicationRecord> UnfinishedApplications);

/// <summary>
/// The lifecycle decisions on a person's phone certificates (DESIGN.md, "Lifecycle"), as pure functions from what storage
/// loaded under the person's lock to the change set it applies; a refusal throws before anything is written.
/// tests/MobileJpki.Ra.Tests/PhoneLifecycleRulesTests.cs runs them without a database.
/// </summary>
public static class PhoneLifecycleRules
{
    /// <summary>一時利用停止: the live (issued or active) phone certificates, of one phone or all, go on hold; each phone concerned is told.</summary>
    public static ChangeSet Suspend(PersonPhones person, string? phoneId, DateTimeOffset at)
    {
        var live = person.Certificates
            .Where(c => c.Status is CertificateStatus.Issued or CertificateStatus.Active && (phoneId is null || c.PhoneId == phoneId))
            .ToArray();
        return new ChangeSet(
            live.Select(c => new CertificateChange(c.Serial, CertificateStatus.Suspended, RevocationReasons.Hold, at)).ToArray(),
            [],
            [],
            live.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal).Select(p => new OutgoingNotice(Notices.Suspended(p, at), null)).ToArray());
    }

    /// <summary>
    /// 解除 of the phone whose certificates are on hold: the auth certificate is good again, the signing certificate is
    /// revoked (reason resumed) and issued again from <paramref name="application"/>, which must be there exactly when a
    /// signing certificate is on hold.
    /// </summary>
    /// <exception cref="MjpkiException">not-suspended-phone, not-suspended, resume-needs-card, bad-kinds.</exception>
    public static ChangeSet Resume(PersonPhones person, string phoneId, ApplicationRecord? application, DateTimeOffset at)
    {
        var certificates = person.Certificates;
        var held = certificates.Where(c => c.PhoneId == phoneId && c.Status == CertificateStatus.Suspended).ToArray();
        if (held.Length == 0)
        {
            throw certificates.Any(c => c.Status == CertificateStatus.Suspended)
                ? MjpkiException.Conflict("not-suspended-phone", "一時利用停止されているのは別のスマホの電子証明書です。停止したスマホから解除してください / The suspended certificates are on another phone; resume them from that phone.")
                : MjpkiException.Conflict("not-suspended", "このスマホの電子証明書は一時利用停止されていません（解除済みまたは失効済み） / This phone's certificates are not suspended (already resumed, or revoked).");
        }

        var signingHeld = held.Any(c => c.Kind == CertificateKind.PhoneSigning);
        if (signingHeld && application is null)
        {
            throw MjpkiException.BadRequest("resume-needs-card", "署名用電子証明書を再発行するため、マイナンバーカードの読み取りが必要です / The signing certificate is issued again: read the My Number Card to resume.");
        }

        if (!signingHeld && application is not null)
        {
            throw MjpkiException.BadRequest("bad-kinds", "No signing certificate of this phone is on hold: resume without a new application.");
        }

        return new ChangeSet(
            held.Select(c => c.Kind == CertificateKind.PhoneSigning
                ? new CertificateChange(c.Serial, CertificateStatus.Revoked, RevocationReasons.Resumed, at)
                : new CertificateChange(c.Serial, CertificateStatus.Active, null, at)).ToArray(),
            [],
            [],
            []);
    }

    /// <summary>
    /// 失効 of one phone: every unrevoked phone certificate of the person on it (issued, active or on hold) is revoked with
    /// <paramref name="reason"/>; the person's applications still queued for it are rejected with <paramref name="rejection"/>
    /// (a waiting resume must not bring certificates back); the phone is told to wipe its SE. Empty when nothing is live.
    /// </summary>
    public static ChangeSet Revoke(PersonPhones person, string phoneId, string reason, string rejection, DateTimeOffset at)
    {
        var live = person.Certificates
            .Where(c => c.PhoneId == phoneId && c.Status is CertificateStatus.Issued or CertificateStatus.Active or CertificateStatus.Suspended)
            .ToArray();
        if (live.Length == 0)
        {
            return ChangeSet.Empty;
        }

        return new ChangeSet(
            live.Select(c => new CertificateChange(c.Serial, CertificateStatus.Revoked, reason, at)).ToArray(),
            person.UnfinishedApplications
                .Where(a => a.PhoneId == phoneId && a.Status == ApplicationStatus.Queued)
                .Select(a => new ApplicationChange(a.Id, ApplicationStatus.Rejected, rejection, at))
                .ToArray(),
            [phoneId],
            []);
    }
}
