using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra.Portal;

/// <summary>Who a login challenge is handed to, and where the session it opens may be used.</summary>
/// <param name="Audience">portal, kiosk or hospital (<see cref="SessionAudiences"/>).</param>
/// <param name="Party">The kiosk or hospital id; empty for the portal.</param>
/// <param name="Subject">Who asked: <c>phone:ID</c>, <c>nonce:SHA-256</c> of a browser's nonce, <c>kiosk:ID</c>, <c>hospital:ID</c>.</param>
/// <param name="PhoneId">For a phone login: the phone whose auth certificate must sign.</param>
/// <param name="AllowedKinds">The auth certificates accepted.</param>
public sealed record LoginContext(string Audience, string Party, string Subject, string? PhoneId, IReadOnlyCollection<CertificateKind> AllowedKinds)
{
    /// <summary>The challenge purpose stored with it (one per audience and flow, ≤ 32 characters).</summary>
    public string ChallengePurpose => $"login-{Audience}{(Subject.StartsWith("nonce:", StringComparison.Ordinal) ? "-card" : string.Empty)}";

    /// <summary>マイナポータル from the portal app on this phone, with the phone's auth certificate.</summary>
    public static LoginContext PortalPhone(string phoneId) => new(SessionAudiences.Portal, string.Empty, "phone:" + phoneId, phoneId, [CertificateKind.PhoneAuth]);

    /// <summary>マイナポータル in a browser with the card's auth certificate; the browser's nonce is kept only as its hash.</summary>
    public static LoginContext PortalCard(string clientNonce) =>
        new(SessionAudiences.Portal, string.Empty, "nonce:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clientNonce))), null, [CertificateKind.CardAuth]);

    /// <summary>A kiosk or hospital reader; the phone (or the card) is held to the terminal.</summary>
    public static LoginContext Terminal(string audience, string terminalId) =>
        new(audience, terminalId, $"{audience}:{terminalId}", null, [CertificateKind.PhoneAuth, CertificateKind.CardAuth]);
}

/// <summary>
/// Login with an auth certificate (docs/relying-parties.md, "Portal, kiosk and hospital"): a single-use, short-lived
/// challenge handed to one subject (self-contained and MAC-ed, see <see cref="LoginChallenges"/>: making one writes
/// nothing); the auth key signs <see cref="LoginMessage.SignedBytes"/> (purpose, audience, terminal, origin,
/// challenge); the certificate is checked by <see cref="CertificateAuthenticator"/>; then the used challenge, the
/// session and the person's usage row are committed together (one group commit for all logins in flight).
/// </summary>
public sealed partial class PortalLogin(
    ILifecycleStore challenges,
    LoginChallenges codec,
    ILoginWriter writer,
    CertificateAuthenticator authenticator,
    SessionService sessions,
    PortalOptions options,
    TimeProvider time,
    ILogger<PortalLogin> logger)
{
    private const int MaxChallengeChars = 64;

    /// <summary>Step 1: a fresh challenge for this subject and audience (no database write).</summary>
    public async Task<LoginChallengeView> CreateChallengeAsync(LoginContext context, CancellationToken ct)
    {
        // Millisecond precision: the id carries the expiry as Unix milliseconds.
        var expires = DateTimeOffset.FromUnixTimeMilliseconds((time.GetUtcNow() + options.ChallengeLifetime).ToUnixTimeMilliseconds());
        var id = await codec.IssueAsync(context.ChallengePurpose, context.Subject, expires, ct);
        return new LoginChallengeView(id, expires, context.Audience, context.Party);
    }

    /// <summary>
    /// Step 2: the answer. Refused, using nothing up, unless the challenge is ours, this subject's, of this purpose,
    /// unused and unexpired, and the signature over the login message for <paramref name="origin"/> verifies with an
    /// allowed auth certificate of ours that is valid and active now (and, for a phone login, is this phone's). Then the
    /// used challenge, the session and the usage row are committed together (of two racing answers one wins).
    /// </summary>
    public async Task<(SessionView View, SessionRecord Session)> LoginAsync(LoginContext context, string origin, string? challengeId, byte[] certificate, byte[] signature, CancellationToken ct)
    {
        var now = time.GetUtcNow();

        // Step 1: the challenge (nothing is used up by a refusal). Malformed, altered, forged and another subject's or
        // purpose's all look the same; a replay this node has seen is refused before any further work.
        if (string.IsNullOrEmpty(challengeId) || challengeId.Length > MaxChallengeChars)
        {
            throw BadChallenge();
        }

        var expiresAt = await codec.OpenAsync(challengeId, context.ChallengePurpose, context.Subject, ct) ?? throw BadChallenge();
        if (codec.IsUsedHere(challengeId))
        {
            throw ChallengeUsed();
        }

        if (expiresAt <= now)
        {
            // A used challenge stays "used" after it expires, as long as its record is kept (another node may have used it).
            throw (await challenges.GetChallengeAsync(challengeId, ct))?.UsedAt is not null
                ? ChallengeUsed()
                : new MjpkiException(ErrorKind.BadRequest, "challenge-expired", "ログインの有効期限が切れました。もう一度やり直してください / The login challenge has expired; start again.");
        }

        // Step 2: ours, allowed kind, active, valid now, and the signature over this audience, terminal and origin.
        var message = LoginMessage.SignedBytes(context.Audience, context.Party, origin, challengeId);
        var who = await authenticator.VerifyAsync(certificate, message, signature, context.AllowedKinds, ct);

        // Step 3: a phone logs in with its own auth certificate only (not with a key of another phone it relays for).
        if (context.PhoneId is not null && who.PhoneId != context.PhoneId)
        {
            throw new MjpkiException(ErrorKind.Unauthorized, "signature-not-accepted", "署名または電子証明書を確認できませんでした / The signature or the certificate was not accepted.");
        }

        // Step 4: one commit for the used challenge (unique: the single-use guarantee across nodes), the session and
        // the person's usage log; answered only once it is durable.
        var lifetime = context.Audience == SessionAudiences.Portal ? options.SessionLifetime : options.TerminalSessionLifetime;
        var party = context.Party.Length == 0 ? null : context.Party;
        var (token, session) = SessionService.Prepare(who, context.Audience, party, lifetime, now);
        var usage = new UsageRecord(0, who.PersonId, now, context.Audience switch { SessionAudiences.Kiosk => UsageKinds.Kiosk, SessionAudiences.Hospital => UsageKinds.Hospital, _ => UsageKinds.Login }, who.Serial, party ?? "portal", LoginDetail(context.Audience, who.Kind));
        var committed = await writer.CommitAsync(new LoginCommit(challengeId, context.ChallengePurpose, context.Subject, expiresAt, now, session, usage), ct);
        codec.MarkUsed(challengeId, expiresAt);
        if (!committed)
        {
            throw ChallengeUsed();
        }

        LogLoggedIn(logger, who.PersonId, context.Audience, party ?? "portal", who.Kind);
        LoginTelemetry.LoggedIn(context.Audience, who.Kind);
        return (new SessionView(token, session.Audience, session.Party, session.ExpiresAt), session);
    }

    /// <summary>The live session of this token for this audience and terminal; a session of another terminal is "session-invalid" too.</summary>
    public async Task<SessionRecord> RequireAsync(string? token, string audience, string? party, CancellationToken ct)
    {
        var session = await sessions.RequireAsync(token, audience, ct);
        if (party is not null && session.Party != party)
        {
            throw SessionService.Invalid();
        }

        return session;
    }

    /// <summary>
    /// Lets a kiosk or hospital reader in: a configured id needs its key; an unknown id gets in only when terminals are
    /// open (sandbox mode). One answer for an unknown id and a wrong key.
    /// </summary>
    public void AuthorizeTerminal(string audience, string terminalId, string? key)
    {
        if (!PortalOptions.IsTerminalId(terminalId))
        {
            throw MjpkiException.BadRequest("bad-field", "The terminal id must be 1–64 of A–Z a–z 0–9 . _ -.");
        }

        var terminals = audience == SessionAudiences.Kiosk ? options.Kiosks : options.Hospitals;
        if (terminals.TryGetValue(terminalId, out var expected))
        {
            if (key is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(key)), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
            {
                return;
            }
        }
        else if (options.OpenTerminals)
        {
            return;
        }

        throw new MjpkiException(ErrorKind.Unauthorized, "terminal-unauthorized", "端末を確認できませんでした / The kiosk or reader is not known or its key is wrong.");
    }

    private static string LoginDetail(string audience, CertificateKind kind)
    {
        var with = kind == CertificateKind.CardAuth ? "マイナンバーカード / My Number Card" : "スマホ用電子証明書 / smartphone certificate";
        return audience switch
        {
            SessionAudiences.Kiosk => $"コンビニ交付 本人確認 / kiosk login ({with})",
            SessionAudiences.Hospital => $"マイナ保険証 本人確認 / hospital reader login ({with})",
            _ => $"マイナポータル ログイン / portal login ({with})",
        };
    }

    private static MjpkiException BadChallenge() =>
        MjpkiException.BadRequest("bad-challenge", "チャレンジが正しくありません。もう一度やり直してください / The challenge is not valid here; start again.");

    private static MjpkiException ChallengeUsed() =>
        MjpkiException.Conflict("challenge-used", "このチャレンジは使用済みです。もう一度やり直してください / The challenge was already used; start again.");

    // Debug: at thousands of logins a second a line each is the log's main cost; the mjpki.logins counter counts them.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Person {PersonId} logged in to {Audience} {Party} with {Kind}")]
    private static partial void LogLoggedIn(ILogger logger, Guid personId, string audience, string party, CertificateKind kind);
}
