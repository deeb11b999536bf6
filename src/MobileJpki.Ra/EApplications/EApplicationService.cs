using System.Security.Cryptography;
using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra;

/// <summary>
/// E-applications (電子申請) of My Page: a form signed in the phone's SE with the phone signing key as CMS SignedData,
/// checked at submission and stored as submitted. The checks, in order (docs/relying-parties.md, "E-applications and
/// My Page"):
/// 1. the type is known; 2. the CMS parses (one signer, id-data content, signed attributes, the signer's certificate
/// included); 3. the signer certificate is a phone signing certificate; 4. the signature verifies over the signed
/// attributes, whose messageDigest matches the content; 5. signingTime is near now and signingCertificateV2 names the
/// signer's certificate; 6. the certificate is ours, Active and valid now (<see cref="CertificateAuthenticator"/>, the
/// same rules as login); 7. its person is the session's person; 8. the content's type is the request's and the form
/// validates; 9. no application with the same signed attributes is stored (a document is submitted once). Then the
/// CMS is stored and the use recorded.
/// </summary>
/// <remarks>Nothing is stored unless every check passed; errors never name a person or echo form values.</remarks>
public sealed class EApplicationService(CertificateAuthenticator authenticator, IEApplicationStore store, IUsageLog usage, TimeProvider time)
{
    /// <summary>Largest CMS accepted (a form of at most 8 KiB, a 2048-bit signature and one certificate fit well).</summary>
    public const int MaxCmsBytes = 32 * 1024;

    /// <summary>How far signingTime may be from the server clock (the app takes the time from the server).</summary>
    public static readonly TimeSpan MaxSigningTimeSkew = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static readonly CertificateKind[] PhoneSigningOnly = [CertificateKind.PhoneSigning];

    /// <summary>Checks and stores an e-application submitted in <paramref name="session"/>.</summary>
    public async Task<EApplicationRecord> SubmitAsync(SessionRecord session, string? type, byte[] cms, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(cms);

        // 1. The type.
        if (!EApplicationTypes.IsKnown(type))
        {
            throw EApplicationForms.UnknownType();
        }

        // 2. The CMS structure.
        if (cms.Length > MaxCmsBytes || !CmsSignedApplication.TryRead(cms, out var signed) || signed is null || signed.SignerCount != 1
            || signed.ContentType != CmsSignedApplication.DataOid || signed.Content is null || !signed.SignedAttributesPresent)
        {
            throw Malformed("CMS SignedData with one signer, the form as id-data content and signed attributes is expected.");
        }

        var certificate = signed.FindSignerCertificate()
            ?? throw Malformed("the signer's certificate must be included.");

        // 3. Only the phone signing certificate signs e-applications here.
        if (!certificate.HasPolicy(Oids.PolicyFor(CertificateKind.PhoneSigning)))
        {
            throw MjpkiException.BadRequest(
                "not-phone-signing-certificate",
                "電子申請にはスマホ用署名用電子証明書の署名のみ使えます（マイナンバーカードの署名用電子証明書や利用者証明用電子証明書は使えません） / Only the phone signing certificate is accepted for e-applications here (not the card's signing certificate, nor an authentication certificate).");
        }

        // 4. The signature and the content it covers.
        using (var key = certificate.ImportPublicKey() as RSA)
        {
            if (key is null || !signed.VerifySignature(key))
            {
                throw BadSignature();
            }
        }

        // 5. signingTime and signingCertificateV2.
        var signedAttributes = signed.SignedAttributes!.Value;
        if (!SignedAttributes.TryRead(signedAttributes, certificate.Der, out var signingTime, out var certificateMatches))
        {
            throw Malformed("the signed attributes must carry signingTime and signingCertificateV2 once each.");
        }

        if (!certificateMatches)
        {
            throw BadSignature();
        }

        var now = time.GetUtcNow();
        if ((signingTime - now).Duration() > MaxSigningTimeSkew)
        {
            throw MjpkiException.BadRequest(
                "stale-e-application",
                $"署名日時が現在時刻から{MaxSigningTimeSkew.TotalMinutes:0}分以上離れています。もう一度署名してください / The signing time is more than {MaxSigningTimeSkew.TotalMinutes:0} minutes from the server clock; sign again.");
        }

        // 6. Ours, phone signing, Active and valid now: the authenticator's rules, over exactly what the SE signed
        // (the DER SET OF the signed attributes; RFC 5652 §5.4).
        var toBeSigned = signedAttributes.ToArray();
        toBeSigned[0] = 0x31;
        var who = await authenticator.VerifyAsync(certificate.Der, toBeSigned, signed.Signature, PhoneSigningOnly, ct);

        // 7. A document signed with another person's certificate is refused, whoever's session carries it.
        if (who.PersonId != session.PersonId)
        {
            throw MjpkiException.Forbidden(
                "signer-not-session-person",
                "ログイン中のご本人のスマホ用署名用電子証明書で署名された申請のみ受け付けます / Only an application signed with your own phone signing certificate is accepted in your session.");
        }

        // 8. The content: the type it was signed as, and its form.
        var content = ReadContent(signed.Content);
        if (content.Type != type)
        {
            throw MjpkiException.BadRequest("e-application-type-mismatch", "署名された申請の種類が送信された種類と異なります / The signed application is of another type than the one submitted.");
        }

        var summary = EApplicationForms.Validate(type!, content.Form, DateOnly.FromDateTime(now.ToOffset(Jst).DateTime));

        // 9. Once: the key is what the SE signed (content digest, signingTime, certificate), so the same CMS, or the
        // same signature re-wrapped in another CMS, is the same document. Signing the form again makes a new one.
        var record = new EApplicationRecord(Guid.CreateVersion7(now), who.PersonId, type!, who.Serial, summary, now, "received");
        if (!await store.AddAsync(record, cms, SHA256.HashData(toBeSigned), ct))
        {
            throw MjpkiException.Conflict(
                "e-application-duplicate",
                "この電子申請はすでに受け付けています（同じ署名の申請は一度だけ受け付けます） / This e-application was already received (a signed application is accepted once).");
        }

        await usage.RecordAsync(new UsageRecord(0, who.PersonId, now, UsageKinds.EApplication, who.Serial, null, $"{type}: {EApplicationTypes.Title(type)}"), ct);
        return record;
    }

    /// <summary>The session person's own applications, newest first.</summary>
    public Task<IReadOnlyList<EApplicationRecord>> HistoryAsync(SessionRecord session, int limit, CancellationToken ct) =>
        store.ListAsync(session.PersonId, Math.Clamp(limit, 1, 100), ct);

    /// <summary>The stored CMS of one of the session person's applications; 404 for any other id (someone else's included).</summary>
    public async Task<byte[]> GetCmsAsync(SessionRecord session, Guid id, CancellationToken ct) =>
        await store.GetCmsAsync(session.PersonId, id, ct)
        ?? throw MjpkiException.NotFound("unknown-e-application", "その電子申請はありません / No such e-application.");

    private static EApplicationContent ReadContent(byte[] content)
    {
        if (content.Length > EApplicationContent.MaxBytes)
        {
            throw MjpkiException.BadRequest("bad-form", $"フォームが大きすぎます / The signed form is larger than {EApplicationContent.MaxBytes} bytes.");
        }

        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("form", out var form) || root.EnumerateObject().Count() != 2)
            {
                throw MjpkiException.BadRequest("bad-form", "署名された内容は {\"type\", \"form\"} のJSONです / The signed content must be the JSON {\"type\", \"form\"}.");
            }

            return new EApplicationContent(type.GetString()!, form.Clone());
        }
        catch (JsonException)
        {
            throw MjpkiException.BadRequest("bad-form", "署名された内容がJSONではありません / The signed content is not valid JSON.");
        }
    }

    private static MjpkiException Malformed(string why) =>
        MjpkiException.BadRequest("malformed-e-application", "電子申請の形式が正しくありません / The e-application is not well-formed: " + why);

    private static MjpkiException BadSignature() =>
        MjpkiException.BadRequest("bad-e-application-signature", "電子申請の署名を検証できませんでした（署名後に改ざんされたか、署名が壊れています） / The e-application's signature does not verify (changed after signing, or a broken signature).");
}
