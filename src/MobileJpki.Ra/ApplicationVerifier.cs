using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>An application whose CMS signature, card certificate and SE attestations all checked out.</summary>
public sealed record VerifiedApplication(
    EnrollmentApplication Content,
    CertificateRecord CardSigningCertificate,
    IReadOnlyList<ApplicationKeyRecord> Keys,
    byte[] Nonce,
    byte[] DeviceSecretHash);

/// <summary>
/// Checks a signed 利用申請 step by step: the CMS signature, that the signer is a card signing
/// certificate of our signing CA that is valid now and not revoked, the application's freshness,
/// the phone model, and that every key was born inside the phone's SE (attestation).
/// </summary>
public sealed class ApplicationVerifier(
    IRaStore store,
    X509Certificate2 signingCa,
    IReadOnlyList<X509Certificate2> seMakerRoots,
    RaOptions options,
    TimeProvider time)
{
    public const int MaxCmsBytes = 64 * 1024;

    /// <summary>How many card certificates' imported public keys are remembered at most.</summary>
    public const int CardKeyCacheCapacity = 10_000;

    // Both caches hold pure functions of immutable bytes (a maker root, a device certificate, a card certificate).
    // The roots are the host's configured trust anchors: no root of its own is trusted here.
    private readonly KeyAttestationTrust[] _seMakerTrust = [.. seMakerRoots.Select(r => new KeyAttestationTrust(r.RawData))];
    private readonly BoundedCache<Sha256Key, RSA> _cardKeys = new(CardKeyCacheCapacity);

    public async Task<VerifiedApplication> VerifyAsync(byte[] cms, CancellationToken ct)
    {
        var now = time.GetUtcNow();

        // Step 1: the container and its signature.
        if (cms.Length is 0 or > MaxCmsBytes)
        {
            throw MjpkiException.BadRequest("malformed-application", $"The application must be CMS SignedData of at most {MaxCmsBytes} bytes.");
        }

        var signed = new SignedCms();
        try
        {
            signed.Decode(cms);
        }
        catch (CryptographicException)
        {
            throw MjpkiException.BadRequest("malformed-application", "The application is not valid CMS SignedData.");
        }

        if (signed.Detached || signed.SignerInfos.Count != 1 || signed.ContentInfo.ContentType.Value != "1.2.840.113549.1.7.1")
        {
            throw MjpkiException.BadRequest("malformed-application", "The application must have exactly one signer and encapsulated id-data content.");
        }

        // SignedCms has judged the structure; the signature is checked on the same bytes by hand (RFC 5652 §5.4), which
        // needs no X509Certificate2 and lets the card's public key be imported once, not per application.
        if (!CmsSignedApplication.TryRead(cms, out var application) || application is null || application.SignerCount != 1 || application.Content is null)
        {
            throw MjpkiException.BadRequest("malformed-application", "The application is not valid CMS SignedData.");
        }

        var cardCert = application.FindSignerCertificate()
            ?? throw MjpkiException.BadRequest("malformed-application", "The application does not carry the card's signing certificate.");
        var cardKeyId = Sha256Key.Of(cardCert.Der);
        var cachedKey = _cardKeys.TryGet(cardKeyId, out RSA? cardKey);
        if (!cachedKey)
        {
            var imported = cardCert.ImportPublicKey();
            cardKey = imported as RSA;
            if (cardKey is null)
            {
                imported?.Dispose();
            }
        }

        CertificateRecord cardRecord;
        try
        {
            if (cardKey is null || !application.VerifySignature(cardKey))
            {
                throw MjpkiException.BadRequest("bad-signature", "The application's signature does not verify with the card's signing certificate.");
            }

            // Step 2: the signer is a card signing certificate of our CA, valid now, and ours on record.
            cardRecord = await CheckCardCertificateAsync(cardCert, now, ct);
        }
        catch when (!cachedKey)
        {
            cardKey?.Dispose();
            throw;
        }

        if (!cachedKey)
        {
            // Only certificates of ours are remembered, so foreign ones cannot crowd them out.
            _cardKeys.GetOrAdd(cardKeyId, cardKey);
        }

        // Step 3: the content.
        var content = ParseContent(application.Content);
        var nonce = DecodeBase64(content.Nonce, "nonce", 16, 64);
        var secretHash = DecodeBase64(content.DeviceSecretHash, "deviceSecretHash", 32, 32);
        if ((content.CreatedAt - now).Duration() > options.MaxClockSkew)
        {
            throw MjpkiException.BadRequest("stale-application", "The application's creation time is too far from the server's clock; create a new application.");
        }

        CheckDevice(content.Device);
        if (content.Email is { } email && (email.Length > 254 || !email.Contains('@', StringComparison.Ordinal) || email.Any(char.IsControl)))
        {
            throw MjpkiException.BadRequest("bad-email", "The e-mail address is not valid.");
        }

        // Step 4: the keys, each born in the SE and bound to this application's nonce, all in the SE the phone id names.
        var keys = CheckKeys(content.Keys, nonce, content.Device.PhoneId, now);
        return new VerifiedApplication(content, cardRecord, keys, nonce, secretHash);
    }

    private async Task<CertificateRecord> CheckCardCertificateAsync(DerCertificate cardCert, DateTimeOffset now, CancellationToken ct)
    {
        if (!cardCert.HasPolicy(Oids.PolicyCardSigning))
        {
            throw MjpkiException.BadRequest("not-card-signing-certificate", "The application must be signed with the My Number Card's signing certificate.");
        }

        // A certificate whose exact bytes we issued and recorded needs no chain building: its signature is ours.
        // Anything else is checked against the CA only to say precisely why it is refused.
        var record = await store.GetCertificateAsync(cardCert.SerialNumberHex, ct);
        var ours = record is { Kind: CertificateKind.CardSigning, Der: not null } && record.Der.AsSpan().SequenceEqual(cardCert.Der);
        if (!ours)
        {
            using var certificate = X509CertificateLoader.LoadCertificate(cardCert.Der);
            ExplainUnknownCertificate(certificate, now);
        }

        if (now < record!.NotBefore || now > record.NotAfter)
        {
            throw Expired();
        }

        if (record.Status == CertificateStatus.Revoked)
        {
            throw MjpkiException.BadRequest("card-certificate-revoked", "The card's signing certificate has been revoked; visit the municipal office.");
        }

        // A card reported lost is on hold: nothing may be applied for with it until it is found (or the loss is made final).
        if (record.Status == CertificateStatus.Suspended)
        {
            throw MjpkiException.BadRequest("card-certificate-on-hold", "マイナンバーカードの署名用電子証明書は紛失届により一時停止中です / The card's signing certificate is on hold after a loss report; visit the municipal office.");
        }

        return record;
    }

    private void ExplainUnknownCertificate(X509Certificate2 cardCert, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(signingCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        // The certificate is the applicant's claim: never fetch the issuer URLs it names (SSRF, and a stall per request).
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(cardCert))
        {
            throw chain.ChainStatus.Any(s => s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid))
                ? Expired()
                : MjpkiException.BadRequest("foreign-card-certificate", "The card's signing certificate was not issued by this service's signing CA.");
        }

        throw MjpkiException.BadRequest("unknown-card-certificate", "The card's signing certificate is not known to this service.");
    }

    private static MjpkiException Expired() =>
        MjpkiException.BadRequest("card-certificate-expired", "The card's signing certificate has expired or is not yet valid; renew it at the municipal office.");

    private static EnrollmentApplication ParseContent(byte[] json)
    {
        try
        {
            var content = JsonSerializer.Deserialize<EnrollmentApplication>(json, ProtocolJson.Options);
            if (content is null || content.Version != EnrollmentApplication.CurrentVersion || content.Device is null || content.Keys is null)
            {
                throw MjpkiException.BadRequest("malformed-application", "The application content is missing required fields or has an unknown version.");
            }

            return content;
        }
        catch (JsonException)
        {
            throw MjpkiException.BadRequest("malformed-application", "The application content is not valid JSON of the expected shape.");
        }
    }

    private void CheckDevice(DeviceFacts device)
    {
        if (!PhoneIdentity.IsWellFormed(device.PhoneId))
        {
            throw MjpkiException.BadRequest("malformed-application", "The phone id must be 1–64 ASCII letters or digits.");
        }

        if (string.IsNullOrEmpty(device.Os) || device.Os.Length > 64 || device.Os.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("malformed-application", "The OS description must be 1–64 printable characters.");
        }

        if (string.IsNullOrEmpty(device.Model) || !options.SupportedModels.Contains(device.Model))
        {
            throw MjpkiException.BadRequest("unsupported-model", "This phone model is not supported by the smartphone certificate service.");
        }
    }

    private List<ApplicationKeyRecord> CheckKeys(IReadOnlyList<ApplicationKey> keys, byte[] nonce, string claimedPhoneId, DateTimeOffset now)
    {
        if (keys.Count is < 1 or > 2)
        {
            throw MjpkiException.BadRequest("bad-kinds", "Apply for the signing certificate, the auth certificate, or both.");
        }

        var challenge = EnrollmentApplication.AttestationChallenge(nonce);
        var result = new List<ApplicationKeyRecord>(keys.Count);
        foreach (var key in keys)
        {
            if (!CertificateKinds.TryParseWireName(key?.Kind, out var hierarchy))
            {
                throw MjpkiException.BadRequest("bad-kinds", "Each key's kind must be \"sign\" or \"auth\".");
            }

            var kind = hierarchy == Hierarchy.Signing ? CertificateKind.PhoneSigning : CertificateKind.PhoneAuth;
            if (result.Any(k => k.Kind == kind))
            {
                throw MjpkiException.BadRequest("bad-kinds", "Each kind may be applied for once per application.");
            }

            var spki = DecodeBase64(key!.PublicKey, "publicKey", 64, 1024);
            if (!SubjectPublicKeyInfos.TryValidateRsa2048(spki, out var keyError))
            {
                throw MjpkiException.BadRequest("bad-key", $"The {hierarchy.WireName()} key is not acceptable: {keyError}");
            }

            if (key.Attestation is null || key.Attestation.Count is < 1 or > 4)
            {
                throw MjpkiException.BadRequest("bad-attestation", "Each key needs its SE attestation chain.");
            }

            var chain = new List<byte[]>(key.Attestation.Count);
            foreach (var der in key.Attestation)
            {
                chain.Add(DecodeBase64(der, "attestation", 64, 8192));
            }

            if (!KeyAttestationVerifier.TryVerify(chain, _seMakerTrust, challenge, spki, now, out _, out var seSerial, out var attestationError))
            {
                throw attestationError == KeyAttestationVerifier.UnparsableCertificateError
                    ? MjpkiException.BadRequest("bad-attestation", "An attestation certificate could not be parsed.")
                    : MjpkiException.BadRequest("bad-attestation", $"The {hierarchy.WireName()} key was not proven to be generated inside a genuine secure element: {attestationError}");
            }

            // The phone id is whatever the maker certified as this SE's serial number, never the client's say-so: an
            // application naming another phone's id (to take over its record, secret and certificates) stops here.
            if (!PhoneIdentity.TryFromSerialNumber(seSerial, out var attestedPhoneId))
            {
                throw MjpkiException.BadRequest("bad-attestation", $"The {hierarchy.WireName()} key's device certificate names no usable secure element serial number.");
            }

            if (!string.Equals(attestedPhoneId, claimedPhoneId, StringComparison.Ordinal))
            {
                throw PhoneIdMismatch();
            }

            result.Add(new ApplicationKeyRecord(kind, spki));
        }

        return result;
    }

    private static MjpkiException PhoneIdMismatch() => MjpkiException.BadRequest(
        "phone-id-mismatch",
        "申請の端末IDが、セキュアエレメントが証明する端末IDと一致しません / The application's phone id is not the one its secure element's device certificate attests.");

    private static byte[] DecodeBase64(string? value, string field, int minBytes, int maxBytes)
    {
        if (value is null || value.Length > (maxBytes + 2) / 3 * 4)
        {
            throw MjpkiException.BadRequest("malformed-application", $"Field '{field}' is missing or too long.");
        }

        try
        {
            var bytes = Convert.FromBase64String(value);
            if (bytes.Length < minBytes || bytes.Length > maxBytes)
            {
                throw MjpkiException.BadRequest("malformed-application", $"Field '{field}' has the wrong length.");
            }

            return bytes;
        }
        catch (FormatException)
        {
            throw MjpkiException.BadRequest("malformed-application", $"Field '{field}' is not valid base64.");
        }
    }
}
