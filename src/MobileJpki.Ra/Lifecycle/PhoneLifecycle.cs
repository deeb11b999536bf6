using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Core.SeManagement;

namespace MobileJpki.Ra;

/// <summary>
/// The lifecycle steps a person starts in the portal app (DESIGN.md, "Lifecycle"): suspend (一時利用停止), resume (解除),
/// revoke (失効), device change (機種変更) and the phone password reset (パスワード初期化). The caller has authenticated the
/// phone; this class decides, and storage applies each step in one transaction under the person's lock.
/// </summary>
public sealed partial class PhoneLifecycle(
    CertificateLifecycle lifecycle,
    ILifecycleStore store,
    IRaStore raStore,
    ApplicationVerifier verifier,
    ProcessingWindow window,
    IPhoneNotifier notifier,
    ISeManagementSigner seManagement,
    TimeProvider time,
    ILogger<PhoneLifecycle> logger)
{
    /// <summary>How long a password-reset challenge may be answered.</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);

    private const int MaxChallengeChars = 64;

    /// <summary>一時利用停止 from the app, of this phone's certificates.</summary>
    public Task<LifecycleResult> SuspendAsync(PhoneRecord phone, CancellationToken ct) =>
        lifecycle.SuspendAsync(OwnerOf(phone, "nothing-to-suspend"), phone.PhoneId, ct);

    /// <summary>
    /// 解除 on the phone whose certificates are on hold: the auth certificate is good again, the signing certificate is
    /// revoked and the application in <paramref name="cms"/> (signed by the card, the SE's new signing key) is queued so
    /// it is issued again and must be registered (利用登録) again.
    /// </summary>
    public async Task<(LifecycleResult Result, ApplicationRecord? Application)> ResumeAsync(PhoneRecord phone, byte[]? cms, CancellationToken ct)
    {
        var personId = OwnerOf(phone, "not-suspended");
        var application = cms is null ? null : await VerifyResumeApplicationAsync(phone, personId, cms, ct);
        var now = time.GetUtcNow();
        var changed = await store.ChangePersonAsync(personId, person => PhoneLifecycleRules.Resume(person, phone.PhoneId, application, now), application, ApplicationPurpose.Resume, null, ct);
        notifier.Notify(phone.PhoneId);
        LogResumed(logger, personId, changed.Count, application?.Id);
        return (new LifecycleResult(changed), application);
    }

    /// <summary>失効 from the app: every certificate of this phone is revoked (also while on hold); the app then deletes the SE data.</summary>
    public async Task<LifecycleResult> RevokeAsync(PhoneRecord phone, CancellationToken ct)
    {
        var personId = OwnerOf(phone, "nothing-to-revoke");
        var now = time.GetUtcNow();
        var changed = await store.ChangePersonAsync(
            personId,
            person => PhoneLifecycleRules.Revoke(
                person,
                phone.PhoneId,
                RevocationReasons.CessationOfOperation,
                "スマホ用電子証明書を失効したため取り下げました / Withdrawn: the phone certificates were revoked.",
                now),
            null,
            ApplicationPurpose.New,
            null,
            ct);
        if (changed.Count == 0)
        {
            throw NothingToRevoke();
        }

        LogRevoked(logger, personId, changed.Count);
        return new LifecycleResult(changed);
    }

    /// <summary>
    /// 機種変更 started on the new phone: an application (purpose 2) whose issue revokes the old phone's certificates (the
    /// one-device rule). Refused unless the person confirmed that consequence, when there is an old phone to revoke.
    /// </summary>
    public async Task<(ApplicationRecord Application, IReadOnlyList<string> OldPhones)> ChangeDeviceAsync(byte[] cms, bool confirmed, CancellationToken ct)
    {
        var verified = await verifier.VerifyAsync(cms, ct);
        var phoneId = verified.Content.Device.PhoneId;
        var personId = verified.CardSigningCertificate.PersonId;
        var existing = await raStore.GetPhoneAsync(phoneId, ct);
        if (existing is { WipeRequested: true })
        {
            throw MjpkiException.Conflict("wipe-pending", "This phone's old certificates must be deleted first: open the app so it can synchronise, then apply again.");
        }

        var oldPhones = (await store.GetPhoneCertificatesOfPersonAsync(personId, ct))
            .Where(c => c.PhoneId != phoneId && c.Status is CertificateStatus.Issued or CertificateStatus.Active or CertificateStatus.Suspended)
            .Select(c => c.PhoneId)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (oldPhones.Length > 0 && !confirmed)
        {
            throw MjpkiException.BadRequest("confirmation-required", DeviceChangeWarning);
        }

        var application = NewApplication(verified, personId, phoneId);
        var phone = new PhoneRecord(phoneId, verified.Content.Device.Model, verified.Content.Device.Os, verified.DeviceSecretHash, personId, false, application.AcceptedAt);
        if (!await store.AddApplicationAsync(application, phone, ApplicationPurpose.DeviceChange, ct))
        {
            throw MjpkiException.Conflict("replayed-application", "This application was already submitted.");
        }

        LogDeviceChange(logger, application.Id, oldPhones.Length);
        return (application, oldPhones);
    }

    /// <summary>The warning shown before a device change (Japanese first, English beside it).</summary>
    public const string DeviceChangeWarning =
        "機種変更の申請をすると、これまでのスマホのスマホ用電子証明書は失効します（確認が必要です） / " +
        "Applying for a device change revokes the smartphone certificates on your old phone (explicit confirmation required).";

    /// <summary>パスワード初期化, step 1: a single-use challenge for this phone, to be signed by the card.</summary>
    public async Task<ChallengeRecord> CreateResetChallengeAsync(PhoneRecord phone, string? kind, CancellationToken ct)
    {
        var phoneKind = ParseKind(kind);
        var personId = OwnerOf(phone, "nothing-to-reset");
        var certificates = await raStore.GetCertificatesOfPhoneAsync(phone.PhoneId, ct);
        if (!certificates.Any(c => c.PersonId == personId && c.Kind == phoneKind && c.Status is CertificateStatus.Issued or CertificateStatus.Active or CertificateStatus.Suspended))
        {
            throw NothingToReset();
        }

        var now = time.GetUtcNow();
        var challenge = new ChallengeRecord(Base64Url(RandomNumberGenerator.GetBytes(32)), PasswordResetChallenge.Purpose, phone.PhoneId, now, now + ChallengeLifetime, null);
        await store.CreateChallengeAsync(challenge, ct);
        return challenge;
    }

    /// <summary>
    /// パスワード初期化, step 2: the card answered the challenge. Approved when the card certificate (auth certificate for the
    /// auth PIN, signing certificate for the signing password) is this person's, ours, valid and neither revoked nor on
    /// hold, the signature verifies, and the challenge is this phone's, unexpired and unused (it is then used up). The
    /// approval carries the SE reset authorisation: signed by the SE management key of the kind's CA, bound to the key of
    /// this phone's live certificate of that kind (so to its SE), the PIN and the SE's own challenge.
    /// </summary>
    public async Task<PasswordResetApproval> ApproveResetAsync(PhoneRecord phone, PasswordResetRequest request, CancellationToken ct)
    {
        var phoneKind = ParseKind(request.Kind);
        var personId = OwnerOf(phone, "nothing-to-reset");
        var now = time.GetUtcNow();
        var seChallenge = Base64Field.Decode(request.SeChallenge, "seChallenge", PinResetAuthorization.ChallengeLength);
        if (seChallenge.Length != PinResetAuthorization.ChallengeLength)
        {
            throw MjpkiException.BadRequest("bad-field", $"'seChallenge' must be the SE's {PinResetAuthorization.ChallengeLength}-byte challenge.");
        }

        // Step 1: the challenge is this phone's, for this purpose, unexpired and unused (read only: a refusal uses nothing up).
        var id = request.Challenge;
        if (string.IsNullOrEmpty(id) || id.Length > MaxChallengeChars)
        {
            throw BadChallenge();
        }

        var challenge = await store.GetChallengeAsync(id, ct);
        if (challenge is null || challenge.Purpose != PasswordResetChallenge.Purpose || challenge.Subject != phone.PhoneId)
        {
            throw BadChallenge();
        }

        if (challenge.UsedAt is not null)
        {
            throw ChallengeUsed();
        }

        if (challenge.ExpiresAt <= now)
        {
            throw MjpkiException.BadRequest("challenge-expired", "チャレンジの有効期限が切れています。もう一度やり直してください / The challenge has expired; start the reset again.");
        }

        // Step 2: the card certificate is ours, of the right kind, this person's, valid now and not revoked or on hold.
        var cardKind = phoneKind == CertificateKind.PhoneSigning ? CertificateKind.CardSigning : CertificateKind.CardAuth;
        var der = Base64Field.Decode(request.CardCertificate, "cardCertificate", 8192);
        if (!DerCertificate.TryParse(der, out var cardCert) || cardCert is null)
        {
            throw MjpkiException.BadRequest("bad-field", "'cardCertificate' is not a DER certificate.");
        }

        var record = await raStore.GetCertificateAsync(cardCert.SerialNumberHex, ct);
        if (record is null || record.Kind != cardKind || record.Der is null || !record.Der.AsSpan().SequenceEqual(der))
        {
            throw MjpkiException.BadRequest("unknown-card-certificate", "The card certificate is not a My Number Card certificate of this service of the kind needed for this reset.");
        }

        if (record.PersonId != personId)
        {
            throw MjpkiException.Forbidden("card-of-another-person", "このマイナンバーカードはこのスマホ用電子証明書の持ち主のものではありません / This My Number Card does not belong to the owner of this phone's certificates.");
        }

        if (record.Status is CertificateStatus.Revoked)
        {
            throw MjpkiException.BadRequest("card-certificate-revoked", "The card's certificate has been revoked; visit the municipal office.");
        }

        if (record.Status is CertificateStatus.Suspended)
        {
            throw MjpkiException.Conflict("card-certificate-suspended", "マイナンバーカードの電子証明書が一時停止されています / The card's certificate is on hold; visit the municipal office.");
        }

        if (now < record.NotBefore || now > record.NotAfter)
        {
            throw MjpkiException.BadRequest("card-certificate-expired", "The card's certificate has expired or is not yet valid; renew it at the municipal office.");
        }

        // Step 3: the card signed this challenge for this phone and kind.
        var signature = Base64Field.Decode(request.Signature, "signature", 1024);
        using (var key = cardCert.ImportPublicKey() as RSA)
        {
            var signed = PasswordResetChallenge.SignedBytes(phone.PhoneId, request.Kind, id);
            if (key is null || !key.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                throw MjpkiException.BadRequest("bad-signature", "The answer's signature does not verify with the card certificate.");
            }
        }

        // Step 4: the SE is named by the key of this phone's live certificate of the kind, from our records (never from
        // the request): the key was attested as born in that SE and never leaves it.
        var keyIdentity = await SeKeyIdentityAsync(phone, personId, phoneKind, ct);
        var hierarchy = phoneKind == CertificateKind.PhoneSigning ? Hierarchy.Signing : Hierarchy.Auth;
        var authorization = PinResetAuthorization.Issue(seManagement.For(hierarchy), PinResetAuthorization.PinReferenceOf(hierarchy), keyIdentity, seChallenge);

        // Step 5: use the challenge up; of two answers racing, one wins (only the winner's authorisation leaves).
        if (!await store.UseChallengeAsync(id, PasswordResetChallenge.Purpose, phone.PhoneId, now, ct))
        {
            throw ChallengeUsed();
        }

        LogResetApproved(logger, personId, request.Kind);
        return new PasswordResetApproval(
            request.Kind,
            "カードを確認しました。新しいパスワードを設定してください / The card was verified; set the new phone password.",
            Convert.ToBase64String(authorization));
    }

    private async Task<byte[]> SeKeyIdentityAsync(PhoneRecord phone, Guid personId, CertificateKind kind, CancellationToken ct)
    {
        var live = (await raStore.GetCertificatesOfPhoneAsync(phone.PhoneId, ct))
            .Where(c => c.PersonId == personId && c.Kind == kind && c.Der is not null
                && c.Status is CertificateStatus.Issued or CertificateStatus.Active or CertificateStatus.Suspended)
            .OrderByDescending(c => c.NotBefore)
            .FirstOrDefault();
        if (live is null || !DerCertificate.TryParse(live.Der!, out var certificate) || certificate is null)
        {
            throw NothingToReset();
        }

        return PinResetAuthorization.KeyIdentityOf(certificate.SubjectPublicKeyInfo.Span);
    }

    private async Task<ApplicationRecord> VerifyResumeApplicationAsync(PhoneRecord phone, Guid personId, byte[] cms, CancellationToken ct)
    {
        var verified = await verifier.VerifyAsync(cms, ct);
        if (verified.CardSigningCertificate.PersonId != personId)
        {
            throw MjpkiException.Forbidden("card-of-another-person", "このマイナンバーカードはこのスマホ用電子証明書の持ち主のものではありません / This My Number Card does not belong to the owner of this phone's certificates.");
        }

        if (verified.CardSigningCertificate.Status != CertificateStatus.Active)
        {
            throw MjpkiException.Conflict("card-certificate-suspended", "マイナンバーカードの電子証明書が一時停止されています / The card's certificate is on hold; visit the municipal office.");
        }

        // The application must be this phone's own: same id and the same device secret it authenticated with.
        if (verified.Content.Device.PhoneId != phone.PhoneId || !verified.DeviceSecretHash.AsSpan().SequenceEqual(phone.DeviceSecretHash))
        {
            throw MjpkiException.BadRequest("application-phone-mismatch", "The resume application was not made on this phone.");
        }

        if (verified.Keys.Count != 1 || verified.Keys[0].Kind != CertificateKind.PhoneSigning)
        {
            throw MjpkiException.BadRequest("bad-kinds", "A resume application carries exactly the new signing key.");
        }

        return NewApplication(verified, personId, phone.PhoneId);
    }

    private ApplicationRecord NewApplication(VerifiedApplication verified, Guid personId, string phoneId)
    {
        var now = time.GetUtcNow();
        return ApplicationRecord.Queue(verified, personId, phoneId, now, window.ProcessAfter(now));
    }

    private static Guid OwnerOf(PhoneRecord phone, string code) =>
        phone.PersonId ?? throw code switch
        {
            "nothing-to-revoke" => NothingToRevoke(),
            "nothing-to-reset" => NothingToReset(),
            "not-suspended" => MjpkiException.Conflict("not-suspended", "このスマホの電子証明書は一時利用停止されていません / This phone's certificates are not suspended."),
            _ => MjpkiException.Conflict("nothing-to-suspend", "一時利用停止できるスマホ用電子証明書がありません（失効済みまたは未発行） / There is no live phone certificate to suspend (revoked or never issued)."),
        };

    private static CertificateKind ParseKind(string? kind) => CertificateKinds.TryParseWireName(kind, out var hierarchy)
        ? hierarchy == Hierarchy.Signing ? CertificateKind.PhoneSigning : CertificateKind.PhoneAuth
        : throw MjpkiException.BadRequest("bad-kinds", "The kind must be \"sign\" or \"auth\".");

    private static MjpkiException NothingToRevoke() =>
        MjpkiException.Conflict("nothing-to-revoke", "失効できるスマホ用電子証明書がありません（失効済みまたは未発行） / There is no phone certificate to revoke (already revoked, or never issued).");

    private static MjpkiException NothingToReset() =>
        MjpkiException.NotFound("nothing-to-reset", "このスマホにはその種類のスマホ用電子証明書がありません / This phone has no certificate of that kind whose password could be reset.");

    private static MjpkiException BadChallenge() =>
        MjpkiException.BadRequest("bad-challenge", "チャレンジが正しくありません。もう一度やり直してください / The challenge is not valid for this phone; start the reset again.");

    private static MjpkiException ChallengeUsed() =>
        MjpkiException.Conflict("challenge-used", "このチャレンジは使用済みです。もう一度やり直してください / The challenge was already used; start the reset again.");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed {Count} phone certificates of person {PersonId}; signing application {ApplicationId}")]
    private static partial void LogResumed(ILogger logger, Guid personId, int count, Guid? applicationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoked {Count} phone certificates of person {PersonId} from the app")]
    private static partial void LogRevoked(ILogger logger, Guid personId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device change application {ApplicationId} accepted; {OldPhones} old phones to revoke on issue")]
    private static partial void LogDeviceChange(ILogger logger, Guid applicationId, int oldPhones);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password reset ({Kind}) approved for person {PersonId}")]
    private static partial void LogResetApproved(ILogger logger, Guid personId, string kind);
}
