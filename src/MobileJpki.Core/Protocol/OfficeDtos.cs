using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>Municipal office: address or name change (住所・氏名の変更); the card's new signing key comes with it.</summary>
/// <remarks>Name the card by exactly one of <see cref="PersonId"/> and <see cref="CardSerial"/> (a live card certificate's serial).</remarks>
public sealed record AddressChangeRequest(
    [property: JsonPropertyName("personId")] string? PersonId,
    [property: JsonPropertyName("cardSerial")] string? CardSerial,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("nameAlt")] string? NameAlt,
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("addressAlt")] string? AddressAlt,
    [property: JsonPropertyName("signingPublicKey")] string SigningPublicKey);

/// <summary>Municipal office: card renewal (カードの更新) with the card's two new public keys.</summary>
public sealed record CardRenewalRequest(
    [property: JsonPropertyName("personId")] string? PersonId,
    [property: JsonPropertyName("cardSerial")] string? CardSerial,
    [property: JsonPropertyName("signingPublicKey")] string SigningPublicKey,
    [property: JsonPropertyName("authPublicKey")] string AuthPublicKey);

/// <summary>Municipal office: card reported lost (hold), the loss made final, or the card found.</summary>
public sealed record CardLossRequest(
    [property: JsonPropertyName("personId")] string? PersonId,
    [property: JsonPropertyName("cardSerial")] string? CardSerial,
    [property: JsonPropertyName("final")] bool Final);

/// <summary>Municipal office: a card PIN reset at the counter, recorded (the card itself is changed at the counter).</summary>
public sealed record PinResetRecordRequest(
    [property: JsonPropertyName("cardSerial")] string CardSerial,
    [property: JsonPropertyName("kind")] string Kind);

/// <summary>A certificate an office act changed.</summary>
public sealed record OfficeCertificateView(
    [property: JsonPropertyName("serial")] string Serial,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("phoneId")] string? PhoneId);

/// <summary>
/// What an office act did: the card certificates changed, the new card certificates (base64 DER, with their CA
/// certificates) when keys were replaced, and the phone certificates revoked in the cascade.
/// </summary>
public sealed record OfficeEventResponse(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("cardCertificates")] IReadOnlyList<OfficeCertificateView> CardCertificates,
    [property: JsonPropertyName("phoneCertificates")] IReadOnlyList<OfficeCertificateView> PhoneCertificates,
    [property: JsonPropertyName("signingCertificate")] string? SigningCertificate,
    [property: JsonPropertyName("signingCaCertificate")] string? SigningCaCertificate,
    [property: JsonPropertyName("authCertificate")] string? AuthCertificate,
    [property: JsonPropertyName("authCaCertificate")] string? AuthCaCertificate,
    [property: JsonPropertyName("message")] string Message);
