using System.Diagnostics.Metrics;
using MobileJpki.Core;

namespace MobileJpki.Ra.Portal;

/// <summary>What one accepted login writes: the used challenge, the session and the usage row, all in one commit.</summary>
/// <param name="ChallengeId">The challenge answered (its unique key makes the login single use across nodes).</param>
/// <param name="Purpose">The challenge's purpose (login-portal, login-kiosk, …).</param>
/// <param name="Subject">Who the challenge was handed to.</param>
/// <param name="ChallengeExpiresAt">When the challenge expires (used rows are pruned some time after).</param>
/// <param name="At">When it was used.</param>
/// <param name="Session">The session it opens.</param>
/// <param name="Usage">The person's usage-log row.</param>
public sealed record LoginCommit(string ChallengeId, string Purpose, string Subject, DateTimeOffset ChallengeExpiresAt, DateTimeOffset At, SessionRecord Session, UsageRecord Usage);

/// <summary>Writes accepted logins durably; the caller answers only after the task completes.</summary>
public interface ILoginWriter
{
    /// <summary>
    /// True once the challenge, session and usage rows are committed together; false (and nothing written) when the
    /// challenge was already used, by an earlier login on any node or by another login in the same group.
    /// </summary>
    Task<bool> CommitAsync(LoginCommit login, CancellationToken ct);
}

/// <summary>Login counters on the RA's meter (the per-login log line is at Debug).</summary>
internal static class LoginTelemetry
{
    private static readonly Meter Meter = new(RaTelemetry.Name);

    private static readonly Counter<long> Logins = Meter.CreateCounter<long>("mjpki.logins", description: "Logins accepted (portal, kiosk, hospital), by audience and certificate kind");

    public static void LoggedIn(string audience, CertificateKind kind) =>
        Logins.Add(1, new KeyValuePair<string, object?>("audience", audience), new KeyValuePair<string, object?>("kind", kind == CertificateKind.CardAuth ? "card-auth" : "phone-auth"));
}
