using System.Text;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>What a lifecycle step from the app (suspend, resume, revoke) changed, and what to tell the person.</summary>
public sealed record LifecycleReceipt(
    [property: JsonPropertyName("serials")] IReadOnlyList<string> Serials,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("application")] ApplicationReceipt? Application);

/// <summary>
/// 解除: resume a suspended phone. <see cref="Cms"/> is a 利用申請 signed by the card carrying the SE's new signing key
/// (the signing certificate is issued again); it may be left out only when no signing certificate is on hold.
/// </summary>
public sealed record ResumeRequest([property: JsonPropertyName("cms")] string? Cms);

/// <summary>
/// 機種変更: an application from the new phone. <see cref="ConfirmRevokeOldPhone"/> is the person's explicit consent that
/// the certificates on their old phone will be revoked.
/// </summary>
public sealed record DeviceChangeRequest(
    [property: JsonPropertyName("cms")] string Cms,
    [property: JsonPropertyName("confirmRevokeOldPhone")] bool ConfirmRevokeOldPhone);

/// <summary>Asks for a single-use challenge (password reset).</summary>
public sealed record ChallengeRequest([property: JsonPropertyName("kind")] string Kind);

/// <summary>A single-use, short-lived challenge handed to one phone.</summary>
public sealed record ChallengeView(
    [property: JsonPropertyName("challenge")] string Challenge,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

/// <summary>
/// パスワード初期化: the card's answer to a challenge. <see cref="CardCertificate"/> is the card's auth certificate (auth
/// reset) or signing certificate (sign reset), base64 DER; <see cref="Signature"/> is its RSA PKCS#1 v1.5 SHA-256
/// signature over <see cref="PasswordResetChallenge.SignedBytes"/>. <see cref="SeChallenge"/> is the phone SE's own
/// GET CHALLENGE answer (base64, 32 bytes), which the reset authorisation is bound to.
/// </summary>
public sealed record PasswordResetRequest(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("challenge")] string Challenge,
    [property: JsonPropertyName("cardCertificate")] string CardCertificate,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("seChallenge")] string? SeChallenge = null);

/// <summary>
/// The server approved the reset. <see cref="Authorization"/> (base64 DER, <c>PinResetAuthorization</c>) is what the
/// SE needs to take a new phone password of this kind: bound to the SE's key, the PIN and the SE's challenge.
/// </summary>
public sealed record PasswordResetApproval(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("authorization")] string Authorization);

/// <summary>What the card signs to answer a password-reset challenge, bound to the phone and the kind.</summary>
public static class PasswordResetChallenge
{
    public const string Purpose = "reset-password";

    /// <summary>"mjpki-reset-password" NUL phoneId NUL kind NUL challenge (UTF-8): the bytes the card signs (SHA-256).</summary>
    public static byte[] SignedBytes(string phoneId, string kind, string challenge) =>
        Encoding.UTF8.GetBytes($"mjpki-{Purpose}\0{phoneId}\0{kind}\0{challenge}");
}
