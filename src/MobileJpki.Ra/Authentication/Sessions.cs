using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>A signed-in session: one person, the certificate that authenticated, and where it may be used.</summary>
public sealed record SessionRecord(
    string TokenHash,
    string Audience,
    Guid PersonId,
    string CertificateSerial,
    CertificateKind Kind,
    string? Party,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? EndedAt);

/// <summary>A stored session with the status and end of validity of its certificate as they are now (null: no such certificate).</summary>
public sealed record SessionLookup(SessionRecord Session, CertificateStatus? CertificateStatus, DateTimeOffset? CertificateNotAfter);

/// <summary>Sessions as the SA keeps them (only the token's hash).</summary>
public interface ISessionStore
{
    Task AddAsync(SessionRecord session, CancellationToken ct);

    /// <summary>The session and its certificate's current status, read together from the shared database (never from a node's cache).</summary>
    Task<SessionLookup?> GetAsync(string tokenHash, CancellationToken ct);

    Task EndAsync(string tokenHash, DateTimeOffset at, CancellationToken ct);
}

/// <summary>Where a session may be used: each is bound to one, so a kiosk session never opens the portal and the reverse.</summary>
public static class SessionAudiences
{
    public const string Portal = "portal";
    public const string Kiosk = "kiosk";
    public const string Hospital = "hospital";
}

/// <summary>Opens and resolves sessions: random 256-bit bearer tokens, stored as SHA-256, bound to one audience.</summary>
public sealed class SessionService(ISessionStore store, TimeProvider time)
{
    /// <summary>Opens a session for the authenticated certificate; returns the bearer token (shown once) and the record.</summary>
    public async Task<(string Token, SessionRecord Session)> OpenAsync(AuthenticatedCertificate who, string audience, string? party, TimeSpan lifetime, CancellationToken ct)
    {
        var (token, session) = Prepare(who, audience, party, lifetime, time.GetUtcNow());
        await store.AddAsync(session, ct);
        return (token, session);
    }

    /// <summary>A new session's token and record, not stored yet (a login stores it in the same commit as its challenge).</summary>
    public static (string Token, SessionRecord Session) Prepare(AuthenticatedCertificate who, string audience, string? party, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(who);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var expires = now + lifetime;

        // A session never outlives the certificate that opened it.
        if (expires > who.NotAfter)
        {
            expires = who.NotAfter;
        }

        return (token, new SessionRecord(HashToken(token), audience, who.PersonId, who.Serial, who.Kind, party, now, expires, null));
    }

    /// <summary>
    /// The live session of this token for this audience, or 401 "session-invalid": one answer for unknown, expired,
    /// ended and other-audience tokens, and for a session whose certificate is no longer Active and unexpired. The
    /// certificate is read on every use from the shared database, so a suspension on any node refuses the session
    /// on every node at once (the status change also ends the session, see docs/security.md, "Sessions").
    /// </summary>
    public async Task<SessionRecord> RequireAsync(string? token, string audience, CancellationToken ct)
    {
        var found = string.IsNullOrEmpty(token) || token.Length > 128 ? null : await store.GetAsync(HashToken(token), ct);
        var now = time.GetUtcNow();
        if (found?.Session is not { } session || session.Audience != audience || session.EndedAt is not null || session.ExpiresAt <= now
            || !CertificateValidity.IsValid(found.CertificateStatus, found.CertificateNotAfter, now))
        {
            throw Invalid();
        }

        return session;
    }

    /// <summary>The one refusal of a session, whatever the reason (nothing tells a caller whose token it was).</summary>
    public static MjpkiException Invalid() =>
        new(ErrorKind.Unauthorized, "session-invalid", "ログインしてください（セッションが無効または期限切れです） / Please log in (the session is missing, ended or expired).");

    public Task EndAsync(SessionRecord session, CancellationToken ct) => store.EndAsync(session.TokenHash, time.GetUtcNow(), ct);

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
