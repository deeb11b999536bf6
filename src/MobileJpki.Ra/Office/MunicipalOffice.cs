using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Office;

/// <summary>
/// Which card the office acts on: the person's id, or the serial of one of the card's certificates; and who acts
/// (<paramref name="By"/>: the event's audit entry is written in the event's own transaction, "office.&lt;action&gt;").
/// </summary>
public sealed record CardRef(Guid? PersonId, string? CardSerial, AuditCaller? By = null);

/// <summary>What a card event did: the card certificates changed, the ones issued, and the phone certificates revoked.</summary>
public sealed record CardEventResult(
    Guid PersonId,
    IReadOnlyList<CertificateRecord> CardCertificates,
    IReadOnlyList<IssuedCertificate> Issued,
    IReadOnlyList<CertificateRecord> PhoneCertificates);

/// <summary>
/// 市区町村窓口 after the card is issued (DESIGN.md "Lifecycle", card events): address or name change, card renewal,
/// card loss (hold, made final, found) and the counter PIN reset. Decides what changes; the store applies each event
/// in one transaction under the person's lock, cascading to the person's phone certificates.
/// </summary>
public sealed partial class MunicipalOffice(IOfficeStore store, ICertificateAuthority ca, IPhoneNotifier notifier, TimeProvider time, ILogger<MunicipalOffice> logger)
{
    private static readonly CertificateStatus[] Live = [CertificateStatus.Active, CertificateStatus.Suspended];
    private static readonly CertificateStatus[] ActiveOnly = [CertificateStatus.Active];
    private static readonly CertificateStatus[] HeldOnly = [CertificateStatus.Suspended];

    /// <summary>
    /// 住所・氏名の変更: the card signing certificate is revoked (affiliationChanged) and one is issued for the card's new
    /// key with the new facts; the person's phone signing certificates are revoked with the same reason.
    /// </summary>
    public async Task<CardEventResult> ChangeAddressAsync(CardRef card, string? name, string? nameAlt, string? address, string? addressAlt, byte[] signingKey, CancellationToken ct)
    {
        if (name is null && address is null)
        {
            throw MjpkiException.BadRequest("bad-field", "新しい住所か氏名を指定してください / Give the new address, the new name or both.");
        }

        var person = await ResolveAsync(card, ct);
        var signing = Current(person, CertificateKind.CardSigning, ActiveOnly);
        var old = ReadBasic4(signing);
        var updated = old with
        {
            Name = name ?? old.Name,
            NameAlt = name is null ? old.NameAlt : nameAlt,
            Address = address ?? old.Address,
            AddressAlt = address is null ? old.AddressAlt : addressAlt,
        };
        updated.Validate();
        if (updated == old)
        {
            throw MjpkiException.BadRequest("bad-field", "カードの記載事項と同じです / The new address and name are the same as the card's.");
        }

        CheckKeys(person, [signingKey]);
        var issued = await ca.IssueAsync(
            [new IssueOrder(new IssueRequest(CertificateKind.CardSigning, signingKey, updated, person.Person.BirthDate, null), person.Person.Id, null, null)],
            ct);
        var result = await ApplyAsync(
            card,
            "address-change",
            person,
            [new CardStatusChange(signing.Serial, ActiveOnly, CertificateStatus.Revoked, RevocationReasons.AffiliationChanged)],
            issued,
            new PhoneCascade([CertificateKind.PhoneSigning], RevocationReasons.AffiliationChanged, OfficeNotices.AddressChanged),
            ct);
        LogEvent(logger, "address-change", person.Person.Id, result.PhoneCertificates.Count);
        return result;
    }

    /// <summary>
    /// カードの更新: both card certificates are replaced (card-renewed) by ones for the card's new keys, and every phone
    /// certificate of the person is revoked (card-renewed): the phone needs a new application.
    /// </summary>
    public async Task<CardEventResult> RenewAsync(CardRef card, byte[] signingKey, byte[] authKey, CancellationToken ct)
    {
        var person = await ResolveAsync(card, ct);
        var signing = Current(person, CertificateKind.CardSigning, Live);
        var auth = Current(person, CertificateKind.CardAuth, Live);
        var basic4 = ReadBasic4(signing);
        if (signingKey.AsSpan().SequenceEqual(authKey))
        {
            throw MjpkiException.BadRequest("bad-key", "The card's signing and auth keys must differ.");
        }

        CheckKeys(person, [signingKey, authKey]);
        var birth = person.Person.BirthDate;
        var issued = await ca.IssueAsync(
            [
                new IssueOrder(new IssueRequest(CertificateKind.CardSigning, signingKey, basic4, birth, null), person.Person.Id, null, null),
                new IssueOrder(new IssueRequest(CertificateKind.CardAuth, authKey, null, birth, null), person.Person.Id, null, null),
            ],
            ct);
        var result = await ApplyAsync(
            card,
            "renew",
            person,
            [
                new CardStatusChange(signing.Serial, Live, CertificateStatus.Revoked, RevocationReasons.CardRenewed),
                new CardStatusChange(auth.Serial, Live, CertificateStatus.Revoked, RevocationReasons.CardRenewed),
            ],
            issued,
            new PhoneCascade([CertificateKind.PhoneSigning, CertificateKind.PhoneAuth], RevocationReasons.CardRenewed, OfficeNotices.Renewed),
            ct);
        LogEvent(logger, "renew", person.Person.Id, result.PhoneCertificates.Count);
        return result;
    }

    /// <summary>
    /// カードの紛失: the card certificates go on hold (certificateHold), which stops new phone applications from the card;
    /// <paramref name="final"/> revokes them (keyCompromise), and the person's phone certificates with them.
    /// </summary>
    public async Task<CardEventResult> ReportLossAsync(CardRef card, bool final, CancellationToken ct)
    {
        var person = await ResolveAsync(card, ct);
        var live = LiveCards(person);
        if (live.Count == 0)
        {
            throw CardRevoked();
        }

        CardEventResult result;
        if (final)
        {
            result = await ApplyAsync(
                card,
                "lose-final",
                person,
                live.Select(c => new CardStatusChange(c.Serial, Live, CertificateStatus.Revoked, RevocationReasons.KeyCompromise)).ToArray(),
                [],
                new PhoneCascade([CertificateKind.PhoneSigning, CertificateKind.PhoneAuth], RevocationReasons.KeyCompromise, OfficeNotices.Lost),
                ct);
        }
        else
        {
            var active = live.Where(c => c.Status == CertificateStatus.Active).ToArray();
            if (active.Length == 0)
            {
                throw MjpkiException.Conflict("card-on-hold", "このカードの電子証明書はすでに一時停止中です / The card's certificates are already on hold.");
            }

            result = await ApplyAsync(
                card,
                "lose",
                person,
                active.Select(c => new CardStatusChange(c.Serial, ActiveOnly, CertificateStatus.Suspended, RevocationReasons.Hold)).ToArray(),
                [],
                null,
                ct);
        }

        LogEvent(logger, final ? "lose-final" : "lose", person.Person.Id, result.PhoneCertificates.Count);
        return result;
    }

    /// <summary>カードの発見: the hold of a lost card is lifted; its certificates are good again.</summary>
    public async Task<CardEventResult> ReportFoundAsync(CardRef card, CancellationToken ct)
    {
        var person = await ResolveAsync(card, ct);
        var held = LiveCards(person).Where(c => c.Status == CertificateStatus.Suspended).ToArray();
        if (held.Length == 0)
        {
            throw MjpkiException.Conflict("not-on-hold", "このカードの電子証明書は一時停止されていません / The card's certificates are not on hold.");
        }

        var result = await ApplyAsync(
            card,
            "found",
            person,
            held.Select(c => new CardStatusChange(c.Serial, HeldOnly, CertificateStatus.Active, null)).ToArray(),
            [],
            null,
            ct);
        LogEvent(logger, "found", person.Person.Id, 0);
        return result;
    }

    /// <summary>
    /// 暗証番号の初期化 at the counter, as the server records it: the card is in hand, so this only checks that the
    /// certificate of that PIN's key is the person's and not revoked (resetting a dead key's PIN helps nobody).
    /// </summary>
    public async Task<Guid> CheckPinResetAsync(string cardSerial, CertificateKind kind, CancellationToken ct)
    {
        var cert = await FindCardAsync(cardSerial, ct);
        if (cert.Kind != kind)
        {
            throw MjpkiException.BadRequest("bad-field", "The serial is not the card certificate of that PIN's key.");
        }

        if (cert.Status == CertificateStatus.Revoked)
        {
            throw CardRevoked();
        }

        LogEvent(logger, "reset-pin", cert.PersonId, 0);
        return cert.PersonId;
    }

    private async Task<CardEventResult> ApplyAsync(CardRef card, string action, OfficePerson person, IReadOnlyList<CardStatusChange> cards, IReadOnlyList<IssuedCertificate> issued, PhoneCascade? phones, CancellationToken ct)
    {
        var audit = card.By?.Event("office." + action, person.Person.Id.ToString(), null, "ok");
        var outcome = await store.ApplyCardEventAsync(
            new CardEvent(person.Person.Id, time.GetUtcNow(), cards, issued.Select(c => c.Serial).ToArray(), phones, audit),
            ct);
        if (!outcome.Applied)
        {
            throw MjpkiException.Conflict("card-changed", "処理中にカードの電子証明書の状態が変わりました。何も変更していません / The card's certificates changed meanwhile; nothing was changed, try again.");
        }

        foreach (var phone in outcome.Phones.Select(c => c.PhoneId).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            notifier.Notify(phone);
        }

        return new CardEventResult(person.Person.Id, outcome.Cards, issued, outcome.Phones);
    }

    private async Task<OfficePerson> ResolveAsync(CardRef card, CancellationToken ct)
    {
        Guid personId;
        if (card.PersonId is { } id && card.CardSerial is null)
        {
            personId = id;
        }
        else if (card.PersonId is null && card.CardSerial is { } serial)
        {
            var cert = await FindCardAsync(serial, ct);

            // A card presented whose certificate was replaced (an old card after renewal) is not the person's card any more.
            if (cert.Status == CertificateStatus.Revoked)
            {
                throw CardRevoked();
            }

            personId = cert.PersonId;
        }
        else
        {
            throw MjpkiException.BadRequest("bad-field", "Give exactly one of 'personId' and 'cardSerial'.");
        }

        return await store.GetPersonAsync(personId, ct)
            ?? throw MjpkiException.NotFound("unknown-person", "この人の記録がありません / No person with this id is on record.");
    }

    private async Task<CertificateRecord> FindCardAsync(string serial, CancellationToken ct)
    {
        var cert = serial.Length is > 0 and <= 64 && serial.All(char.IsAsciiHexDigitLower) ? await store.GetCertificateAsync(serial, ct) : null;
        return cert is { Kind: CertificateKind.CardSigning or CertificateKind.CardAuth }
            ? cert
            : throw MjpkiException.NotFound("unknown-card", "このカードの電子証明書は記録にありません / No card certificate with this serial is on record.");
    }

    private static List<CertificateRecord> LiveCards(OfficePerson person) =>
        person.CardCertificates.Where(c => c.Status is CertificateStatus.Active or CertificateStatus.Suspended).ToList();

    private static CertificateRecord Current(OfficePerson person, CertificateKind kind, CertificateStatus[] allowed)
    {
        var current = person.CardCertificates.Where(c => c.Kind == kind && c.Status is CertificateStatus.Active or CertificateStatus.Suspended).MaxBy(c => c.NotBefore);
        if (current is null)
        {
            throw CardRevoked();
        }

        if (!allowed.Contains(current.Status))
        {
            throw MjpkiException.Conflict("card-on-hold", "紛失届により一時停止中のカードです。発見の届出か更新が必要です / The card is on hold after a loss report; report it found or renew it first.");
        }

        return current;
    }

    private static MjpkiException CardRevoked() =>
        MjpkiException.Conflict("card-revoked", "このカードの電子証明書は失効しています。カードの更新が必要です / The card's certificates are revoked; the card must be renewed.");

    private static Basic4Info ReadBasic4(CertificateRecord signing)
    {
        Basic4Info? basic4 = null;
        if (signing.Der is null || !DerCertificate.TryParse(signing.Der, out var cert) || cert is null
            || !cert.TryGetExtension(Basic4InfoCodec.SubjectAltNameOid, out var san)
            || !Basic4InfoCodec.TryReadSubjectAltName(san, out basic4) || basic4 is null)
        {
            throw new MjpkiException(ErrorKind.Internal, "internal", "The card signing certificate on record could not be read.");
        }

        return basic4;
    }

    /// <summary>New card keys must be RSA-2048 and new: a key of any earlier card certificate is refused.</summary>
    private static void CheckKeys(OfficePerson person, IReadOnlyList<byte[]> keys)
    {
        var used = person.CardCertificates
            .Select(c => c.Der is not null && DerCertificate.TryParse(c.Der, out var d) && d is not null ? d.SubjectPublicKeyInfo.ToArray() : null)
            .OfType<byte[]>()
            .ToArray();
        foreach (var key in keys)
        {
            if (!SubjectPublicKeyInfos.TryValidateRsa2048(key, out var error))
            {
                throw MjpkiException.BadRequest("bad-key", $"The card's new key is not acceptable: {error}");
            }

            if (used.Any(u => u.AsSpan().SequenceEqual(key)))
            {
                throw MjpkiException.BadRequest("bad-key", "The card's new key must be a new key, not one certified before.");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Office {Action} for person {PersonId}; {PhoneCount} phone certificates revoked")]
    private static partial void LogEvent(ILogger logger, string action, Guid personId, int phoneCount);
}
