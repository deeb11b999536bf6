using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Audit;

namespace MobileJpki.Ra;

/// <summary>
/// Lifecycle policy after issuance (DESIGN.md, "Lifecycle"): suspension (一時利用停止), resume (解除), revocation
/// (失効), and the cascades of card events. Callers (hotline, app, municipal office) authenticate and audit; this
/// class decides what changes and talks to storage through <see cref="ILifecycleStore"/> only.
/// </summary>
public sealed partial class CertificateLifecycle(ILifecycleStore store, IPhoneNotifier notifier, TimeProvider time, ILogger<CertificateLifecycle> logger)
{
    /// <summary>
    /// 一時利用停止: puts the person's live phone certificates on hold (OCSP and CRL say certificateHold) until the
    /// person resumes them in the app. Refused, changing nothing, when there is nothing live to suspend.
    /// </summary>
    public Task<LifecycleResult> SuspendAsync(Guid personId, string? phoneId, CancellationToken ct) => SuspendAsync(personId, phoneId, null, ct);

    /// <summary>
    /// <see cref="SuspendAsync(Guid, string?, CancellationToken)"/>, with <paramref name="audit"/> (the caller's entry for
    /// the act) written in the same transaction as the suspension, and not at all when nothing is suspended.
    /// </summary>
    public async Task<LifecycleResult> SuspendAsync(Guid personId, string? phoneId, AuditEvent? audit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var changed = await store.ChangePersonAsync(personId, person => PhoneLifecycleRules.Suspend(person, phoneId, now), null, ApplicationPurpose.New, audit, ct);
        if (changed.Count == 0)
        {
            var all = await store.GetPhoneCertificatesOfPersonAsync(personId, ct);
            var mine = all.Where(c => phoneId is null || c.PhoneId == phoneId).ToArray();
            throw mine.Any(c => c.Status == CertificateStatus.Suspended)
                ? MjpkiException.Conflict("already-suspended", "このスマホ用電子証明書はすでに一時利用停止されています / These phone certificates are already suspended.")
                : MjpkiException.Conflict("nothing-to-suspend", "一時利用停止できるスマホ用電子証明書がありません（失効済みまたは未発行） / There is no live phone certificate to suspend (revoked or never issued).");
        }

        var result = new LifecycleResult(changed);
        foreach (var phone in result.PhoneIds)
        {
            notifier.Notify(phone);
        }

        LogSuspended(logger, personId, changed.Count);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Suspended {Count} phone certificates of person {PersonId}")]
    private static partial void LogSuspended(ILogger logger, Guid personId, int count);
}
