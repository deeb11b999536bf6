using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>Operator sign-in (マイナンバー総合フリーダイヤル console).</summary>
public sealed record OperatorSignIn(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>A session: the bearer token is shown once; the server keeps only its SHA-256.</summary>
public sealed record OperatorSessionView(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

/// <summary>A supervisor adds an account; without a password the server makes one and returns it once.</summary>
public sealed record OperatorAddRequest(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>The added account; <see cref="Password"/> only when the server generated it.</summary>
public sealed record OperatorAddResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>The facts a caller gives on the phone. Sent in a POST body so they never appear in URLs or access logs.</summary>
public sealed record PersonSearch(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("birthDate")] string? BirthDate,
    [property: JsonPropertyName("address")] string? Address);

/// <summary>A phone certificate's status as the operator sees it.</summary>
public sealed record HotlineCertificateView(
    [property: JsonPropertyName("serial")] string Serial,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("phoneId")] string? PhoneId,
    [property: JsonPropertyName("status")] string Status);

/// <summary>A matching person, masked: enough to confirm with the caller, never the full 基本4情報.</summary>
public sealed record PersonMatchView(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("nameInitial")] string NameInitial,
    [property: JsonPropertyName("prefecture")] string Prefecture,
    [property: JsonPropertyName("phoneCertificates")] IReadOnlyList<HotlineCertificateView> PhoneCertificates);

/// <summary>Suspension (一時利用停止) requested by an operator; the reason is required.</summary>
public sealed record HotlineSuspendRequest([property: JsonPropertyName("reason")] string? Reason);

/// <summary>What a suspension changed.</summary>
public sealed record HotlineSuspendResponse(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("serials")] IReadOnlyList<string> Serials,
    [property: JsonPropertyName("phoneIds")] IReadOnlyList<string> PhoneIds);
