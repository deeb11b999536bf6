using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>Registers a relying party (OIDC client): its name, redirect URIs and the public JWKS its client assertions are signed with.</summary>
public sealed record RelyingPartyRegistration(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("redirectUris")] IReadOnlyList<string> RedirectUris,
    [property: JsonPropertyName("jwks")] JsonElement Jwks);

/// <summary>A registered relying party.</summary>
public sealed record RelyingPartyView(
    [property: JsonPropertyName("clientId")] string ClientId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("redirectUris")] IReadOnlyList<string> RedirectUris);

/// <summary>
/// What the phone shows for a device-link code before the person approves: who asks, for what, and which key the
/// approval needs ("auth": the 4-digit PIN; "sign": the signing password). <see cref="Digest"/> (base64) and
/// <see cref="SigningTime"/> are set for a signing transaction.
/// </summary>
public sealed record DeviceLinkView(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("purpose")] string Purpose,
    [property: JsonPropertyName("clientId")] string ClientId,
    [property: JsonPropertyName("clientName")] string ClientName,
    [property: JsonPropertyName("scopes")] IReadOnlyList<string> Scopes,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("signingTime")] DateTimeOffset? SigningTime);

/// <summary>
/// The phone's answer to a device link. <see cref="Signature"/> is the RSA PKCS#1 v1.5 SHA-256 signature of the
/// certificate's key over <see cref="DeviceLinkMessage.SignedBytes"/>. For a signing transaction, an approval also carries
/// <see cref="CmsSignature"/> (over <see cref="CadesDetached.SignedAttributes"/>) and <see cref="RawSignature"/> (over the digest).
/// </summary>
public sealed record DeviceLinkDecision(
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("certificate")] string Certificate,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("cmsSignature")] string? CmsSignature = null,
    [property: JsonPropertyName("rawSignature")] string? RawSignature = null);

/// <summary>The outcome of a decision, and what the phone tells the person.</summary>
public sealed record DeviceLinkOutcome(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message")] string Message);

/// <summary>What the authorization page polls: "pending", "approved", "refused", "expired" or "consumed".</summary>
public sealed record DeviceLinkStatusView([property: JsonPropertyName("status")] string Status);

/// <summary>A relying party's signing request: a SHA-256 digest (base64, 32 bytes) and what the person is shown.</summary>
public sealed record SignTransactionRequest(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("description")] string Description);

/// <summary>A signing transaction waiting for the person: the code the phone takes and the page that shows it.</summary>
public sealed record SignTransactionCreated(
    [property: JsonPropertyName("transactionId")] Guid TransactionId,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("deviceLinkUrl")] string DeviceLinkUrl,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);

/// <summary>A signing transaction as its relying party fetches it: once signed, the CMS (CAdES-BES, detached), the raw PKCS#1 signature and the certificate (base64 DER).</summary>
public sealed record SignTransactionView(
    [property: JsonPropertyName("transactionId")] Guid TransactionId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("cms")] string? Cms,
    [property: JsonPropertyName("signature")] string? Signature,
    [property: JsonPropertyName("certificate")] string? Certificate,
    [property: JsonPropertyName("signedAt")] DateTimeOffset? SignedAt);

/// <summary>
/// The fixed message a phone signs to approve or refuse a device link (docs/relying-parties.md): UTF-8, one
/// <c>name: value</c> per line, LF line ends, in this order. The origin is the server the phone talks to, so an
/// approval made for one server cannot be replayed at another.
/// </summary>
public static class DeviceLinkMessage
{
    public const string Header = "MobileJpki device-link approval v1";

    public const string Approve = "approve";

    public const string Refuse = "refuse";

    public static byte[] SignedBytes(string origin, string code, string purpose, string clientId, IEnumerable<string> scopes, byte[]? digest, string decision)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append("origin: ").Append(origin).Append('\n')
            .Append("code: ").Append(code).Append('\n')
            .Append("purpose: ").Append(purpose).Append('\n')
            .Append("client: ").Append(clientId).Append('\n')
            .Append("scopes: ").Append(string.Join(' ', scopes)).Append('\n')
            .Append("digest: ").Append(digest is null ? "-" : Convert.ToHexStringLower(digest)).Append('\n')
            .Append("decision: ").Append(decision).Append('\n')
            .ToString();
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The scheme://host[:port] of <paramref name="uri"/>, as both sides write it into the message.</summary>
    public static string OriginOf(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

/// <summary>
/// CAdES-BES detached signatures over a digest the signer never sees the preimage of: both the phone (which signs the
/// signed attributes in its SE) and the server (which checks that signature and assembles the SignedData) build the
/// same DER here, so only the signature travels.
/// </summary>
public static class CadesDetached
{
    private const string IdData = "1.2.840.113549.1.7.1";
    private const string IdSignedData = "1.2.840.113549.1.7.2";
    private const string IdContentType = "1.2.840.113549.1.9.3";
    private const string IdMessageDigest = "1.2.840.113549.1.9.4";
    private const string IdSigningTime = "1.2.840.113549.1.9.5";
    private const string IdSigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
    private const string IdSha256 = "2.16.840.1.101.3.4.2.1";
    private const string IdRsaEncryption = "1.2.840.113549.1.1.1";

    /// <summary>
    /// The DER SET OF signed attributes (contentType id-data, signingTime, messageDigest = <paramref name="digest"/>,
    /// signingCertificateV2 naming <paramref name="certificateDer"/>); the signer signs SHA-256 of these bytes.
    /// </summary>
    public static byte[] SignedAttributes(byte[] digest, byte[] certificateDer, DateTimeOffset signingTime)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        WriteSignedAttributes(writer, null, digest, certificateDer, signingTime);
        return writer.Encode();
    }

    /// <summary>A ContentInfo(SignedData) without eContent (detached), with the signer's certificate and one SignerInfo.</summary>
    public static byte[] SignedData(byte[] digest, byte[] certificateDer, DateTimeOffset signingTime, byte[] signature)
    {
        using var cert = X509CertificateLoader.LoadCertificate(certificateDer);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(IdSignedData);
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                    WriteSha256(writer);
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(IdData);
                }

                using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    writer.WriteEncodedValue(certificateDer);
                }

                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(1);
                    WriteIssuerAndSerial(writer, cert);
                    WriteSha256(writer);
                    WriteSignedAttributes(writer, new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true), digest, certificateDer, signingTime);
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(IdRsaEncryption);
                        writer.WriteNull();
                    }

                    writer.WriteOctetString(signature);
                }
            }
        }

        return writer.Encode();
    }

    private static void WriteSignedAttributes(AsnWriter writer, Asn1Tag? tag, byte[] digest, byte[] certificateDer, DateTimeOffset signingTime)
    {
        using var cert = X509CertificateLoader.LoadCertificate(certificateDer);
        using (writer.PushSetOf(tag))
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(IdContentType);
                using (writer.PushSetOf())
                {
                    writer.WriteObjectIdentifier(IdData);
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(IdSigningTime);
                using (writer.PushSetOf())
                {
                    // Whole seconds: UTCTime has no fractions, and both sides must encode the same instant.
                    writer.WriteUtcTime(DateTimeOffset.FromUnixTimeSeconds(signingTime.ToUnixTimeSeconds()));
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(IdMessageDigest);
                using (writer.PushSetOf())
                {
                    writer.WriteOctetString(digest);
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(IdSigningCertificateV2);
                using (writer.PushSetOf())
                using (writer.PushSequence())
                using (writer.PushSequence())
                using (writer.PushSequence())
                {
                    // ESSCertIDv2 with the default hash (SHA-256), so hashAlgorithm is left out (DER).
                    writer.WriteOctetString(SHA256.HashData(certificateDer));
                    using (writer.PushSequence())
                    {
                        using (writer.PushSequence())
                        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                        {
                            writer.WriteEncodedValue(cert.IssuerName.RawData);
                        }

                        writer.WriteInteger(cert.SerialNumberBytes.Span);
                    }
                }
            }
        }
    }

    private static void WriteIssuerAndSerial(AsnWriter writer, X509Certificate2 cert)
    {
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(cert.IssuerName.RawData);
            writer.WriteInteger(cert.SerialNumberBytes.Span);
        }
    }

    private static void WriteSha256(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(IdSha256);
        }
    }
}
