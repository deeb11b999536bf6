using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>
/// What an auth key (the phone's SE or the card) signs to log in (docs/relying-parties.md, "Login message"): the UTF-8
/// bytes of <c>"mjpki-login/1" NUL "login" NUL audience NUL party NUL origin NUL challenge</c>, hashed with SHA-256 and
/// signed RSA PKCS#1 v1.5. The purpose, the audience (portal, kiosk, hospital), the terminal (kiosk or hospital id, empty
/// for the portal) and the server origin are all inside, so a login signature cannot be replayed elsewhere.
/// </summary>
public static class LoginMessage
{
    public const string Version = "mjpki-login/1";

    public const string Purpose = "login";

    /// <summary>マイナポータル (My Page).</summary>
    public const string Portal = "portal";

    /// <summary>A convenience-store kiosk (コンビニ交付).</summary>
    public const string Kiosk = "kiosk";

    /// <summary>A hospital's card reader (マイナ保険証, オンライン資格確認).</summary>
    public const string Hospital = "hospital";

    public static byte[] SignedBytes(string audience, string party, string origin, string challenge) =>
        Encoding.UTF8.GetBytes($"{Version}\0{Purpose}\0{audience}\0{party}\0{origin}\0{challenge}");

    /// <summary>The origin as signed: lowercase <c>scheme://host[:port]</c>, the port only when not the scheme's default.</summary>
    public static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
}

/// <summary>
/// Asks for a login challenge for the portal: from the phone (<see cref="PhoneId"/>, with its device secret as bearer)
/// or, for a login with the card, an opaque <see cref="ClientNonce"/> the browser keeps (16–128 characters) and repeats.
/// </summary>
public sealed record LoginChallengeRequest(
    [property: JsonPropertyName("phoneId")] string? PhoneId,
    [property: JsonPropertyName("clientNonce")] string? ClientNonce);

/// <summary>A single-use, short-lived login challenge and what the signature must bind it to.</summary>
public sealed record LoginChallengeView(
    [property: JsonPropertyName("challenge")] string Challenge,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("audience")] string Audience,
    [property: JsonPropertyName("party")] string Party);

/// <summary>
/// The answer to a login challenge: the auth certificate (base64 DER) and its signature (base64) over
/// <see cref="LoginMessage.SignedBytes"/>; repeats the <see cref="PhoneId"/> or <see cref="ClientNonce"/> the challenge was given to.
/// </summary>
public sealed record LoginRequest(
    [property: JsonPropertyName("challenge")] string Challenge,
    [property: JsonPropertyName("certificate")] string Certificate,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("phoneId")] string? PhoneId = null,
    [property: JsonPropertyName("clientNonce")] string? ClientNonce = null);

/// <summary>A session: the bearer token (shown once), where it may be used, and until when.</summary>
public sealed record SessionView(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("audience")] string Audience,
    [property: JsonPropertyName("party")] string? Party,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

/// <summary>
/// The signed-in person as the portal session knows them: an id and the auth certificate that logged in. No 基本4情報:
/// the auth certificate carries none.
/// </summary>
public sealed record PortalMe(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("certificateKind")] string CertificateKind,
    [property: JsonPropertyName("certificateSerial")] string CertificateSerial,
    [property: JsonPropertyName("loggedInAt")] DateTimeOffset LoggedInAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

/// <summary>One use of the person's certificates (利用履歴).</summary>
public sealed record UsageView(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("party")] string? Party,
    [property: JsonPropertyName("certificateSerial")] string? CertificateSerial,
    [property: JsonPropertyName("detail")] string? Detail);

/// <summary>A page of the usage log, newest first; <see cref="Next"/> is the <c>before</c> of the next page (null: no more).</summary>
public sealed record UsagePage(
    [property: JsonPropertyName("items")] IReadOnlyList<UsageView> Items,
    [property: JsonPropertyName("next")] long? Next);

/// <summary>A kiosk's request for a document; the person is the session's, never anything in the body.</summary>
public sealed record KioskDocumentRequest([property: JsonPropertyName("type")] string? Type);

/// <summary>A document issued at a kiosk: its id and the compact JWS (ES256) the kiosk prints.</summary>
public sealed record KioskDocument(
    [property: JsonPropertyName("documentId")] string DocumentId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("jws")] string Jws);

/// <summary>The person on a document: the 基本4情報 read from the person's card signing certificate.</summary>
public sealed record DocumentPerson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("nameAlt")] string? NameAlt,
    [property: JsonPropertyName("birthDate")] string BirthDate,
    [property: JsonPropertyName("gender")] string Gender,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("addressAlt")] string? AddressAlt);

/// <summary>The signed content of a 住民票の写し issued at a kiosk (the JWS payload).</summary>
public sealed record ResidenceCertificateContent(
    [property: JsonPropertyName("documentId")] string DocumentId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("person")] DocumentPerson Person,
    [property: JsonPropertyName("sourceCertificateSerial")] string SourceCertificateSerial,
    [property: JsonPropertyName("kioskId")] string KioskId,
    [property: JsonPropertyName("issuedAt")] DateTimeOffset IssuedAt);

/// <summary>マイナ保険証: the eligibility answer (オンライン資格確認) for the person of the hospital session.</summary>
public sealed record EligibilityView(
    [property: JsonPropertyName("personId")] string PersonId,
    [property: JsonPropertyName("eligible")] bool Eligible,
    [property: JsonPropertyName("insurerNumber")] string InsurerNumber,
    [property: JsonPropertyName("insurerName")] string InsurerName,
    [property: JsonPropertyName("insuredSymbol")] string InsuredSymbol,
    [property: JsonPropertyName("insuredNumber")] string InsuredNumber,
    [property: JsonPropertyName("branch")] string Branch,
    [property: JsonPropertyName("copayRatio")] string CopayRatio,
    [property: JsonPropertyName("validFrom")] string ValidFrom,
    [property: JsonPropertyName("validUntil")] string? ValidUntil,
    [property: JsonPropertyName("hospitalId")] string HospitalId,
    [property: JsonPropertyName("checkedAt")] DateTimeOffset CheckedAt);

/// <summary>One public key of the service's document-signing keys (a P-256 JWK).</summary>
public sealed record DocumentKey(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y);

/// <summary>The document-signing keys, as a JWK set.</summary>
public sealed record DocumentKeySet([property: JsonPropertyName("keys")] IReadOnlyList<DocumentKey> Keys);

/// <summary>Compact JWS (ES256) of the documents the service signs: make and check.</summary>
public static class DocumentJws
{
    /// <summary>Header <c>{"alg":"ES256","typ":"mjpki-document+jws","kid":…}</c>, payload the JSON of <paramref name="content"/>.</summary>
    public static string Create<T>(T content, string keyId, Func<byte[], byte[]> signEs256)
    {
        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["typ"] = "mjpki-document+jws", ["kid"] = keyId }));
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(content, ProtocolJson.Options));
        var signingInput = $"{header}.{payload}";
        return $"{signingInput}.{Base64Url.EncodeToString(signEs256(Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>The payload of a JWS whose ES256 signature verifies with <paramref name="key"/>; null otherwise.</summary>
    public static T? Verify<T>(string jws, DocumentKey key)
        where T : class
    {
        var parts = jws.Split('.');
        if (parts.Length != 3 || key.Kty != "EC" || key.Crv != "P-256")
        {
            return null;
        }

        try
        {
            using var ec = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64Url.DecodeFromChars(key.X), Y = Base64Url.DecodeFromChars(key.Y) },
            });
            var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            if (header.GetProperty("alg").GetString() != "ES256" || header.GetProperty("kid").GetString() != key.Kid
                || !ec.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256))
            {
                return null;
            }

            return JsonSerializer.Deserialize<T>(Base64Url.DecodeFromChars(parts[1]), ProtocolJson.Options);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or CryptographicException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
