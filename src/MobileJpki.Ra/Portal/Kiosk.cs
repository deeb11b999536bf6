using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Portal;

/// <summary>
/// コンビニ交付: documents for the person of a kiosk session. The person comes from the session alone (the 2023 incident
/// printed other people's certificates; here nothing in the request can name anyone), the 基本4情報 from the person's
/// card signing certificate on record, and the document is signed by the service's document-signing key.
/// </summary>
public sealed partial class Kiosk(IRaStore store, DocumentSigner signer, IUsageLog usage, TimeProvider time, ILogger<Kiosk> logger)
{
    /// <summary>The only document type so far.</summary>
    public const string ResidenceCopy = "juminhyo";

    /// <summary>住民票の写し for the session's person, issued at the session's kiosk.</summary>
    public async Task<KioskDocument> IssueAsync(SessionRecord session, string? type, CancellationToken ct)
    {
        if (session.Audience != SessionAudiences.Kiosk || session.Party is null)
        {
            throw SessionService.Invalid();
        }

        if (type is not null && type != ResidenceCopy)
        {
            throw MjpkiException.BadRequest("unknown-document-type", "この証明書は交付できません（住民票の写し: juminhyo） / This document type is not offered (juminhyo).");
        }

        // The newest active card signing certificate of the session's person: the 基本4情報 as on record.
        var source = (await store.GetActiveCardCertificatesAsync(session.PersonId, ct))
            .Where(c => c.Kind == CertificateKind.CardSigning && c.Der is not null)
            .OrderByDescending(c => c.NotBefore)
            .FirstOrDefault();
        Basic4Info? info = null;
        if (source is not null)
        {
            using var certificate = X509CertificateLoader.LoadCertificate(source.Der!);
            Basic4InfoCodec.TryRead(certificate, out info);
        }

        if (source is null || info is null)
        {
            throw MjpkiException.NotFound("no-resident-record", "住民票の情報を確認できません。市区町村窓口にお問い合わせください / The resident record cannot be read; ask the municipal office.");
        }

        var now = time.GetUtcNow();
        var documentId = Guid.CreateVersion7(now);
        var content = new ResidenceCertificateContent(
            documentId.ToString(),
            ResidenceCopy,
            "住民票の写し / Certificate of residence (copy)",
            session.PersonId.ToString(),
            new DocumentPerson(info.Name, info.NameAlt, info.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), info.Gender.WireName(), info.Address, info.AddressAlt),
            source.Serial,
            session.Party,
            now);
        var jws = signer.Sign(content);
        await usage.RecordAsync(new UsageRecord(0, session.PersonId, now, UsageKinds.Kiosk, session.CertificateSerial, session.Party, $"住民票の写し 交付 / certificate of residence issued ({documentId})"), ct);
        LogIssued(logger, documentId, session.Party);
        return new KioskDocument(documentId.ToString(), ResidenceCopy, jws);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kiosk {KioskId} issued document {DocumentId}")]
    private static partial void LogIssued(ILogger logger, Guid documentId, string kioskId);
}
