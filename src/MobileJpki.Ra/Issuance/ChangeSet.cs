namespace MobileJpki.Ra;

/// <summary>A certificate's new status; <see cref="Reason"/> is the revocation or hold reason (null when released).</summary>
public sealed record CertificateChange(string Serial, CertificateStatus To, string? Reason, DateTimeOffset At);

/// <summary>An application's new status (issued or rejected), with the reason shown to the person when rejected.</summary>
public sealed record ApplicationChange(Guid ApplicationId, ApplicationStatus To, string? Reason, DateTimeOffset At);

/// <summary>A notice for a phone, and the e-mail address (if any) that gets a copy of it.</summary>
public sealed record OutgoingNotice(NotificationRecord Notice, string? Email);

/// <summary>
/// What an RA rule decided (issuance completion, suspend, resume, revoke): storage applies all of it in the transaction
/// whose reads the rule decided on, or none of it.
/// </summary>
public sealed record ChangeSet(
    IReadOnlyList<CertificateChange> Certificates,
    IReadOnlyList<ApplicationChange> Applications,
    IReadOnlyList<string> PhonesToWipe,
    IReadOnlyList<OutgoingNotice> Notices)
{
    public static ChangeSet Empty { get; } = new([], [], [], []);

    public bool IsEmpty => Certificates.Count == 0 && Applications.Count == 0 && PhonesToWipe.Count == 0 && Notices.Count == 0;

    /// <summary>The phones that get a notice, in first-notice order.</summary>
    public IReadOnlyList<string> NotifiedPhones => Notices.Select(n => n.Notice.PhoneId).Distinct(StringComparer.Ordinal).ToArray();
}
