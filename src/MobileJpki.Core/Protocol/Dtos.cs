using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>Municipal office request: issue a My Number Card's two certificates.</summary>
public sealed record CardIssueRequest(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("nameAlt")] string? NameAlt,
    [property: JsonPropertyName("gender")] string Gender,
    [property: JsonPropertyName("birthDate")] string BirthDate,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("addressAlt")] string? AddressAlt,
    [property: JsonPropertyName("signingPublicKey")] string SigningPublicKey,
    [property: JsonPropertyName("authPublicKey")] string AuthPublicKey);

/// <summary>The card's certificates (base64 DER).</summary>
public sealed record CardIssueResponse(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("signingCertificate")] string SigningCertificate,
    [property: JsonPropertyName("signingCaCertificate")] string SigningCaCertificate,
    [property: JsonPropertyName("authCertificate")] string AuthCertificate,
    [property: JsonPropertyName("authCaCertificate")] string AuthCaCertificate);

/// <summary>Submit a signed application (CMS SignedData, base64 DER).</summary>
public sealed record ApplicationSubmission([property: JsonPropertyName("cms")] string Cms);

/// <summary>The server's receipt for an application.</summary>
public sealed record ApplicationReceipt(
    [property: JsonPropertyName("applicationId")] string ApplicationId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("acceptedAt")] DateTimeOffset AcceptedAt,
    [property: JsonPropertyName("processAfter")] DateTimeOffset ProcessAfter,
    [property: JsonPropertyName("message")] string Message);

/// <summary>One certificate as the phone sees it.</summary>
public sealed record PhoneCertificateView(
    [property: JsonPropertyName("serial")] string Serial,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("notAfter")] DateTimeOffset NotAfter,
    [property: JsonPropertyName("applicationId")] string? ApplicationId,
    [property: JsonPropertyName("certificate")] string? Certificate);

/// <summary>One application as the phone sees it.</summary>
public sealed record ApplicationView(
    [property: JsonPropertyName("applicationId")] string ApplicationId,
    [property: JsonPropertyName("kinds")] IReadOnlyList<string> Kinds,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("acceptedAt")] DateTimeOffset AcceptedAt,
    [property: JsonPropertyName("processAfter")] DateTimeOffset ProcessAfter,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>Everything the app may know about its phone: applications, certificates, and whether to wipe.</summary>
public sealed record PhoneStatus(
    [property: JsonPropertyName("phoneId")] string PhoneId,
    [property: JsonPropertyName("wipe")] bool Wipe,
    [property: JsonPropertyName("applications")] IReadOnlyList<ApplicationView> Applications,
    [property: JsonPropertyName("certificates")] IReadOnlyList<PhoneCertificateView> Certificates);

/// <summary>A notice to a phone (プッシュ通知).</summary>
public sealed record PhoneNotification(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("applicationId")] string? ApplicationId,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("body")] string Body);

/// <summary>The app reports which certificates its SE accepted (利用登録).</summary>
public sealed record RegistrationRequest([property: JsonPropertyName("serials")] IReadOnlyList<string> Serials);

/// <summary>The sandbox clock.</summary>
public sealed record ClockView(
    [property: JsonPropertyName("now")] DateTimeOffset Now,
    [property: JsonPropertyName("nowJst")] string NowJst,
    [property: JsonPropertyName("windowOpen")] bool WindowOpen,
    [property: JsonPropertyName("nextOpening")] DateTimeOffset NextOpening);

/// <summary>Move the sandbox clock: exactly one of the fields.</summary>
public sealed record ClockChange(
    [property: JsonPropertyName("advance")] string? Advance,
    [property: JsonPropertyName("set")] DateTimeOffset? Set,
    [property: JsonPropertyName("toOpening")] bool? ToOpening);

/// <summary>The service's clock.</summary>
public sealed record ServerTime([property: JsonPropertyName("now")] DateTimeOffset Now);
