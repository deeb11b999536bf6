using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>
/// What storage read under the persons' locks when a batch's certificates came back from the CA: everything
/// <see cref="IssuanceCompletion.Decide"/> decides on.
/// </summary>
/// <param name="PhoneCertificates">The batch's persons' phone certificates in <see cref="IssuanceCompletion.Supersedable"/> states (the batch's own new ones included: the CA recorded them as issued).</param>
/// <param name="ProcessingApplications">Of the applications those certificates belong to, the ones in Processing (this batch's and other nodes').</param>
/// <param name="Applications">The batch's applications as stored.</param>
/// <param name="CardStatus">The status now of each card signing certificate the applications were made with.</param>
public sealed record CompletionState(
    IReadOnlyList<CertificateRecord> PhoneCertificates,
    IReadOnlySet<Guid> ProcessingApplications,
    IReadOnlyDictionary<Guid, ApplicationRecord> Applications,
    IReadOnlyDictionary<string, CertificateStatus> CardStatus);

/// <summary>
/// Issuance, last step (docs/issuance-cycle.md): the one-device rule, supersession and the card-changed refusal, as a
/// pure function from what storage loaded to the change set it applies. No database: tests/MobileJpki.Ra.Tests/
/// IssuanceCompletionTests.cs runs every rule on records.
/// </summary>
public static class IssuanceCompletion
{
    /// <summary>Phone certificates a new issue may supersede: live ones, and on-hold ones (a device change after a hold revokes them too).</summary>
    public static IReadOnlyList<CertificateStatus> Supersedable { get; } = [CertificateStatus.Issued, CertificateStatus.Active, CertificateStatus.Suspended];

    public const string CardChangedReason =
        "申請に使ったマイナンバーカードの署名用電子証明書が発行処理中に失効または一時停止されました / The card's signing certificate used for the application was revoked or put on hold while it was being issued.";

    /// <summary>
    /// For each outcome in order: refused if its card signing certificate is no longer active (its new certificates are
    /// revoked as abandoned, never handed out); otherwise issued, and every other supersedable phone certificate of the
    /// person is revoked — on another phone (device-changed, that phone told to wipe) or of a kind just re-issued on this
    /// phone (superseded). Certificates of later outcomes in the batch are never revoked by earlier ones, certificates of
    /// an application another node is still processing are left to that node (it completes after us and revokes ours),
    /// and a phone that receives certificates is not wiped.
    /// </summary>
    public static ChangeSet Decide(IReadOnlyList<IssuanceOutcome> outcomes, CompletionState state)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(state);
        var batch = outcomes.Select(o => o.ApplicationId).ToHashSet();
        var live = state.PhoneCertificates
            .Where(c => Supersedable.Contains(c.Status)
                && !(c.ApplicationId is { } app && state.ProcessingApplications.Contains(app) && !batch.Contains(app)))
            .ToLookup(c => c.PersonId);
        var revoked = new HashSet<string>(StringComparer.Ordinal);
        var certificates = new List<CertificateChange>();
        var applications = new List<ApplicationChange>();
        var notices = new List<OutgoingNotice>();
        var toWipe = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);

        void Revoke(CertificateRecord row, string reason, DateTimeOffset at)
        {
            if (revoked.Add(row.Serial))
            {
                certificates.Add(new CertificateChange(row.Serial, CertificateStatus.Revoked, reason, at));
            }
        }

        for (var index = 0; index < outcomes.Count; index++)
        {
            var outcome = outcomes[index];
            var application = state.Applications.GetValueOrDefault(outcome.ApplicationId);
            if (application is not null && state.CardStatus.GetValueOrDefault(application.CardSigningSerial) != CertificateStatus.Active)
            {
                // A card event (address change, renewal, loss) since the RA planned this application: its certificates were
                // signed but never handed out, so they are revoked like an interrupted round's.
                var mine = outcome.Certificates.Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
                foreach (var row in live[outcome.PersonId].Where(c => mine.Contains(c.Serial)))
                {
                    Revoke(row, RevocationReasons.Abandoned, outcome.CompletedAt);
                }

                applications.Add(new ApplicationChange(outcome.ApplicationId, ApplicationStatus.Rejected, CardChangedReason, outcome.CompletedAt));
                notices.Add(new OutgoingNotice(Notices.Rejected(outcome.PhoneId, outcome.ApplicationId, CardChangedReason, outcome.CompletedAt), application.Email));
                continue;
            }

            // Certificates of later outcomes in this batch supersede this one's, never the reverse.
            var protectedSerials = outcomes.Skip(index).SelectMany(o => o.Certificates).Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
            var newKinds = outcome.Certificates.Select(c => c.Kind).ToHashSet();
            foreach (var old in live[outcome.PersonId])
            {
                if (revoked.Contains(old.Serial) || protectedSerials.Contains(old.Serial)
                    || (old.PhoneId == outcome.PhoneId && !newKinds.Contains(old.Kind)))
                {
                    continue;
                }

                var samePhone = old.PhoneId == outcome.PhoneId;
                Revoke(old, samePhone ? RevocationReasons.Superseded : RevocationReasons.DeviceChanged, outcome.CompletedAt);
                if (!samePhone && old.PhoneId is not null)
                {
                    toWipe[old.PhoneId] = outcome.CompletedAt;
                }
            }

            // A phone that receives certificates keeps its SE, even if an earlier outcome of this batch superseded it.
            toWipe.Remove(outcome.PhoneId);
            if (application is not null)
            {
                applications.Add(new ApplicationChange(outcome.ApplicationId, ApplicationStatus.Issued, null, outcome.CompletedAt));
            }

            notices.Add(new OutgoingNotice(outcome.Notification, application?.Email));
        }

        foreach (var (phone, at) in toWipe)
        {
            notices.Add(new OutgoingNotice(Notices.Wipe(phone, at), null));
        }

        return new ChangeSet(certificates, applications, toWipe.Keys.ToArray(), notices);
    }
}
