using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Core.SeManagement;
using MobileJpki.Device;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The lifecycle from the portal app, end to end through the real server and its database: suspend, resume (解除),
/// revoke (失効), device change (機種変更), password reset (パスワード初期化), and the refusals that must change nothing.
/// </summary>
public abstract class AppLifecycleTests(MjpkiServer server)
{
    private const string NewSigningPassword = "RESUME2024";

    [Fact]
    public async Task Resume_SuspendedPhone_AuthGoodAgainSigningRevokedAndReissuedThenRegistered()
    {
        var (card, phone, app, certs) = await RegisteredAsync();
        var oldSigning = Serial(certs, CertificateKind.PhoneSigning);
        var auth = Serial(certs, CertificateKind.PhoneAuth);

        var suspended = await app.SuspendAsync(CancellationToken.None);
        Assert.Equal(new[] { auth, oldSigning }.Order(StringComparer.Ordinal), suspended.Serials.Order(StringComparer.Ordinal));
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.AsNoTracking().Where(c => c.Serial == auth || c.Serial == oldSigning).ToListAsync();
            Assert.All(rows, r => Assert.Equal((CertificateStatus.Suspended, RevocationReasons.Hold), ((CertificateStatus)r.Status, r.RevocationReason)));
        }

        var resumed = await app.ResumeAsync(card.Card.Applet, new ResumeOptions { CardPassword = card.Password, NewSigningPassword = NewSigningPassword }, CancellationToken.None);

        Assert.NotNull(resumed.Application);
        await using (var db = server.OpenDb())
        {
            var authRow = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == auth);
            Assert.Equal(CertificateStatus.Active, (CertificateStatus)authRow.Status);
            Assert.Null(authRow.RevokedAt);
            Assert.Null(authRow.RevocationReason);
            var signingRow = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == oldSigning);
            Assert.Equal(CertificateStatus.Revoked, (CertificateStatus)signingRow.Status);
            Assert.Equal(RevocationReasons.Resumed, signingRow.RevocationReason);
            var application = await db.Applications.AsNoTracking().SingleAsync(a => a.Id == Guid.Parse(resumed.Application!.ApplicationId));
            Assert.Equal((int)ApplicationPurpose.Resume, application.Purpose);
            Assert.Equal(phone.PhoneId, application.PhoneId);
        }

        // The SE made a new signing key; the old certificate is gone from it until 利用登録.
        Assert.False(phone.SecureElement.HasCertificate(PinKind.Signing));
        Assert.True(phone.SecureElement.HasCertificate(PinKind.Auth));

        // The usual cycle: issue in the window, notification, 利用登録.
        var notice = await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(resumed.Application!.ApplicationId, notice.ApplicationId);
        var registered = await app.RegisterAsync(CancellationToken.None);

        var newSigning = Assert.Single(registered);
        Assert.Equal(CertificateKind.PhoneSigning, CertificatePolicies.KindOf(newSigning));
        Assert.NotEqual(oldSigning, newSigning.SerialNumber.ToLowerInvariant());
        Assert.Equal(newSigning.RawData, phone.SecureElement.CertificateDer(PinKind.Signing));
        Assert.True(Basic4InfoCodecRead(newSigning));
        app.CheckPhonePassword(PinKind.Signing, NewSigningPassword);
        var status = await app.SyncAsync(CancellationToken.None);
        Assert.Equal("active", status.Certificates.Single(c => c.Serial == newSigning.SerialNumber.ToLowerInvariant()).Status);
        Assert.Equal("active", status.Certificates.Single(c => c.Serial == auth).Status);
        Assert.Equal("revoked", status.Certificates.Single(c => c.Serial == oldSigning).Status);
    }

    [Fact]
    public async Task Resume_Twice_ClearErrorAndNothingChanged()
    {
        var (card, phone, app, _) = await RegisteredAsync();
        await app.SuspendAsync(CancellationToken.None);
        await app.ResumeAsync(card.Card.Applet, new ResumeOptions { CardPassword = card.Password, NewSigningPassword = NewSigningPassword }, CancellationToken.None);
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        await app.RegisterAsync(CancellationToken.None);
        var before = await SnapshotAsync(card, phone.PhoneId);

        // The app refuses before touching the SE, and the server refuses on its own.
        var local = await Assert.ThrowsAsync<AppException>(() => app.ResumeAsync(card.Card.Applet, new ResumeOptions { CardPassword = card.Password, NewSigningPassword = NewSigningPassword }, CancellationToken.None));
        Assert.Equal("not-suspended", local.Code);
        var remote = await Assert.ThrowsAsync<AppException>(() => server.Api.ResumeAsync(phone.PhoneId, Secret(phone), null, CancellationToken.None));
        Assert.Equal("not-suspended", remote.Code);

        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));
        Assert.True(phone.SecureElement.HasCertificate(PinKind.Signing));
    }

    [Fact]
    public async Task Resume_FromAnotherPhoneOfTheSamePerson_RefusedAndNothingChanged()
    {
        var card = await server.IssueCardAsync("別端 次郎");
        var oldPhone = server.NewPhone("galaxy-s23");
        var oldApp = server.NewApp(oldPhone);
        await server.ApplyAndRegisterAsync(oldApp, card);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        await server.ApplyAndRegisterAsync(app, card);
        await oldApp.SyncAsync(CancellationToken.None);
        await app.SuspendAsync(CancellationToken.None);

        // The old phone still authenticates; it signs a perfectly good application with the person's card.
        var cms = await oldApp.SignApplicationWithCardAsync(card.Card.Applet, card.Password, [Hierarchy.Signing], CancellationToken.None);
        var before = await SnapshotAsync(card, phone.PhoneId, oldPhone.PhoneId);

        var refused = await Assert.ThrowsAsync<AppException>(() => server.Api.ResumeAsync(oldPhone.PhoneId, Secret(oldPhone), cms, CancellationToken.None));

        Assert.Equal("not-suspended-phone", refused.Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId, oldPhone.PhoneId));

        // Any other person's phone is refused too, and the suspended phone can still resume.
        var (otherCard, otherPhone, otherApp, _) = await RegisteredAsync("他人 三郎");
        var otherCms = await otherApp.SignApplicationWithCardAsync(otherCard.Card.Applet, otherCard.Password, [Hierarchy.Signing], CancellationToken.None);
        var other = await Assert.ThrowsAsync<AppException>(() => server.Api.ResumeAsync(otherPhone.PhoneId, Secret(otherPhone), otherCms, CancellationToken.None));
        Assert.Equal("not-suspended", other.Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId, oldPhone.PhoneId));
        await app.ResumeAsync(card.Card.Applet, new ResumeOptions { CardPassword = card.Password, NewSigningPassword = NewSigningPassword }, CancellationToken.None);
    }

    [Fact]
    public async Task Suspend_AlreadyRevoked_ConflictAndNothingChanged()
    {
        var (card, phone, app, _) = await RegisteredAsync();
        await app.RevokeAsync(confirmed: true, CancellationToken.None);
        var before = await SnapshotAsync(card, phone.PhoneId);

        var refused = await Assert.ThrowsAsync<AppException>(() => app.SuspendAsync(CancellationToken.None));

        Assert.Equal("nothing-to-suspend", refused.Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));
        var again = await Assert.ThrowsAsync<AppException>(() => server.Api.RevokeAsync(phone.PhoneId, Secret(phone), CancellationToken.None));
        Assert.Equal("nothing-to-revoke", again.Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));
    }

    [Fact]
    public async Task Revoke_WhileSuspended_BothRevokedAndSecureElementWiped()
    {
        var (card, phone, app, certs) = await RegisteredAsync();
        await app.SuspendAsync(CancellationToken.None);

        var revoked = await app.RevokeAsync(confirmed: true, CancellationToken.None);

        var serials = certs.Select(c => c.SerialNumber.ToLowerInvariant()).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(serials, revoked.Serials.Order(StringComparer.Ordinal));
        await using (var db = server.OpenDb())
        {
            var rows = await db.Certificates.AsNoTracking().Where(c => serials.Contains(c.Serial)).ToListAsync();
            Assert.All(rows, r => Assert.Equal((CertificateStatus.Revoked, RevocationReasons.CessationOfOperation), ((CertificateStatus)r.Status, r.RevocationReason)));

            // The hold time stays the revocation time (the certificate stopped being trusted then).
            Assert.All(rows, r => Assert.NotNull(r.RevokedAt));
            Assert.False((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == phone.PhoneId)).WipeRequested);
        }

        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            Assert.False(phone.SecureElement.HasKey(kind));
            Assert.False(phone.SecureElement.HasCertificate(kind));
            Assert.False(phone.SecureElement.HasPin(kind));
        }

        var status = await app.SyncAsync(CancellationToken.None);
        Assert.All(status.Certificates, c => Assert.Equal("revoked", c.Status));
        _ = card;
    }

    [Fact]
    public async Task FactoryReset_RegisteredPhone_SecureElementKeepsUsableCertificates()
    {
        var (_, phone, _, certs) = await RegisteredAsync();

        phone.FactoryReset();

        // The app's storage is gone, but the SE still holds the keys and certificates, and they still sign.
        Assert.Empty(phone.App.Values);
        var signing = certs.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning);
        Assert.Equal(signing.RawData, phone.SecureElement.CertificateDer(PinKind.Signing));
        Assert.True(phone.SecureElement.HasCertificate(PinKind.Auth));
        var client = new JpkiClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        client.SelectAp();
        Assert.True(client.Verify(PinKind.Signing, "PHONE2023").Verified);
        using var key = new JpkiRsa(client, PinKind.Signing, signing.GetRSAPublicKey()!.ExportParameters(false));
        var data = "still usable"u8.ToArray();
        var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var publicKey = signing.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // …and the service still has them active: only revoking (失効) ends them.
        await using var db = server.OpenDb();
        var serial = signing.SerialNumber.ToLowerInvariant();
        Assert.Equal(CertificateStatus.Active, (CertificateStatus)(await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == serial)).Status);
    }

    [Fact]
    public async Task ChangeDevice_Confirmed_OldPhoneRevokedOnIssueAndWipedOnSync()
    {
        var (card, oldPhone, oldApp, oldCerts) = await RegisteredAsync();
        var newPhone = server.NewPhone("galaxy-s23");
        var screens = new RecordingScreens();
        var newApp = server.NewApp(newPhone, screens);

        // Without the person's agreement nothing is sent; the server refuses an unconfirmed one too.
        var declined = new DecliningScreens();
        var cancelled = await Assert.ThrowsAsync<AppException>(() => server.NewApp(newPhone, declined).ChangeDeviceAsync(card.Card.Applet, new ApplyOptions { CardPassword = card.Password, NewSigningPassword = "PHONE2023", NewAuthPin = "5678", Confirmed = true }, CancellationToken.None));
        Assert.Equal("not-confirmed", cancelled.Code);
        Assert.Equal(PortalApp.DeviceChangeWarningJa, declined.Shown[0].Split(" / ")[0]);
        Assert.Contains(PortalApp.DeviceChangeWarningEn, declined.Shown[0], StringComparison.Ordinal);
        Assert.False(newPhone.SecureElement.HasKey(PinKind.Signing));
        var before = await SnapshotAsync(card, oldPhone.PhoneId, newPhone.PhoneId);
        var cms = await server.NewApp(server.NewPhone()).SignApplicationWithCardAsync(card.Card.Applet, card.Password, [Hierarchy.Signing, Hierarchy.Auth], CancellationToken.None);
        var unconfirmed = await Assert.ThrowsAsync<AppException>(() => server.Api.SubmitDeviceChangeAsync(cms, confirmRevokeOldPhone: false, CancellationToken.None));
        Assert.Equal("confirmation-required", unconfirmed.Code);
        Assert.Equal(before, await SnapshotAsync(card, oldPhone.PhoneId, newPhone.PhoneId));

        await server.ToOpeningAsync();
        var receipt = await newApp.ChangeDeviceAsync(card.Card.Applet, new ApplyOptions { CardPassword = card.Password, NewSigningPassword = "PHONE2023", NewAuthPin = "5678", Confirmed = true, ConfirmRevokeOldPhone = true }, CancellationToken.None);
        Assert.Contains("機種変更に伴う引継ぎ", screens.Titles);
        await newApp.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        var newCerts = await newApp.RegisterAsync(CancellationToken.None);

        Assert.Equal(2, newCerts.Count);
        var oldSerials = oldCerts.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
        await using (var db = server.OpenDb())
        {
            Assert.Equal((int)ApplicationPurpose.DeviceChange, (await db.Applications.AsNoTracking().SingleAsync(a => a.Id == Guid.Parse(receipt.ApplicationId))).Purpose);
            var rows = await db.Certificates.AsNoTracking().Where(c => oldSerials.Contains(c.Serial)).ToListAsync();
            Assert.All(rows, r => Assert.Equal((CertificateStatus.Revoked, RevocationReasons.DeviceChanged), ((CertificateStatus)r.Status, r.RevocationReason)));
            Assert.True((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == oldPhone.PhoneId)).WipeRequested);
        }

        await oldApp.SyncAsync(CancellationToken.None);
        Assert.False(oldPhone.SecureElement.HasKey(PinKind.Signing));
        Assert.False(oldPhone.SecureElement.HasCertificate(PinKind.Auth));
    }

    [Fact]
    public async Task ChangeDevice_OldPhoneSuspendedAsLost_HeldCertificatesRevokedOnIssue()
    {
        // The usual real case: the phone is lost, its certificates are put on hold, the person gets a new phone.
        var (card, oldPhone, oldApp, oldCerts) = await RegisteredAsync();
        await oldApp.SuspendAsync(CancellationToken.None);
        var newPhone = server.NewPhone("galaxy-s23");
        var newApp = server.NewApp(newPhone, new RecordingScreens());

        await server.ToOpeningAsync();
        await newApp.ChangeDeviceAsync(card.Card.Applet, new ApplyOptions { CardPassword = card.Password, NewSigningPassword = "PHONE2023", NewAuthPin = "5678", Confirmed = true, ConfirmRevokeOldPhone = true }, CancellationToken.None);
        await newApp.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(2, (await newApp.RegisterAsync(CancellationToken.None)).Count);

        var oldSerials = oldCerts.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
        await using var db = server.OpenDb();
        var rows = await db.Certificates.AsNoTracking().Where(c => oldSerials.Contains(c.Serial)).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((CertificateStatus.Revoked, RevocationReasons.DeviceChanged), ((CertificateStatus)r.Status, r.RevocationReason)));
        Assert.True((await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == oldPhone.PhoneId)).WipeRequested);
    }

    [Theory]
    [InlineData(PinKind.Auth, 3)]
    [InlineData(PinKind.Signing, 5)]
    public async Task ResetPassword_LockedPhonePassword_CardResetsItAndTheCounter(PinKind kind, int lockAfter)
    {
        var (card, phone, app, _) = await RegisteredAsync();
        var wrong = kind == PinKind.Signing ? "WRONG999" : "0000";
        for (var i = 1; i < lockAfter; i++)
        {
            var miss = Assert.Throws<AppException>(() => app.CheckPhonePassword(kind, wrong));
            Assert.Equal("wrong-phone-password", miss.Code);
        }

        var locked = Assert.Throws<AppException>(() => app.CheckPhonePassword(kind, wrong));
        Assert.Equal("phone-password-locked", locked.Code);
        Assert.Contains("reset-password", locked.Message, StringComparison.Ordinal);
        Assert.StartsWith("スマホ用", locked.Message, StringComparison.Ordinal);
        Assert.Equal("phone-password-locked", Assert.Throws<AppException>(() => app.CheckPhonePassword(kind, kind == PinKind.Signing ? "PHONE2023" : "5678")).Code);

        var newPassword = kind == PinKind.Signing ? "NEWPASS77" : "2468";
        var approval = await app.ResetPasswordAsync(
            card.Card.Applet,
            new PasswordResetOptions { Kind = kind, CardPin = "1234", CardPassword = card.Password, NewPassword = newPassword },
            CancellationToken.None);

        Assert.Equal(kind == PinKind.Signing ? "sign" : "auth", approval.Kind);
        Assert.Equal(lockAfter, app.CheckPhonePassword(kind, newPassword).TriesLeft);

        // The authorisation the SE took: for this phone's registered key and this PIN, signed by an SE management
        // certificate of the kind's CA (our extended key usage, not a CA itself).
        Assert.Equal(PinResetAuthorizationFormat.Valid, PinResetAuthorization.TryDecode(Convert.FromBase64String(approval.Authorization), out var grant, out _));
        Assert.Equal(JpkiFiles.PinFid(kind), grant!.PinReference);
        using (var registered = X509CertificateLoader.LoadCertificate(phone.SecureElement.CertificateDer(kind)!))
        {
            Assert.Equal(PinResetAuthorization.KeyIdentityOf(registered.PublicKey.ExportSubjectPublicKeyInfo()), grant.KeyIdentity);
        }

        Assert.True(grant.CertificateIsForSeManagement());
        Assert.True(grant.SignatureVerifies());
        var caDer = await server.Api.GetBytesAsync($"/ca/{approval.Kind}.cer", CancellationToken.None);
        Assert.True(DerCertificate.TryParse(caDer, out var ca) && grant.Certificate.IsSignedBy(ca!.ImportPublicKey()));
        await using var db = server.OpenDb();
        var challenge = await db.Challenges.AsNoTracking().SingleAsync(c => c.Subject == phone.PhoneId);
        Assert.Equal(PasswordResetChallenge.Purpose, challenge.Purpose);
        Assert.NotNull(challenge.UsedAt);
    }

    [Fact]
    public async Task ResetPassword_BadChallenges_RefusedAndNothingChanged()
    {
        var (card, phone, _, _) = await RegisteredAsync();
        var secret = Secret(phone);

        // A challenge that was never handed out.
        var forged = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var before = await SnapshotAsync(card, phone.PhoneId);
        Assert.Equal("bad-challenge", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, secret, Answer(card, phone, "auth", forged), CancellationToken.None))).Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));

        // A used one, replayed.
        var first = await server.Api.GetResetChallengeAsync(phone.PhoneId, secret, "auth", CancellationToken.None);
        var answer = Answer(card, phone, "auth", first.Challenge);
        await server.Api.ResetPasswordAsync(phone.PhoneId, secret, answer, CancellationToken.None);
        before = await SnapshotAsync(card, phone.PhoneId);
        Assert.Equal("challenge-used", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, secret, answer, CancellationToken.None))).Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));

        // A signing reset answered with the card's auth certificate.
        var signChallenge = await server.Api.GetResetChallengeAsync(phone.PhoneId, secret, "sign", CancellationToken.None);
        before = await SnapshotAsync(card, phone.PhoneId);
        var mixed = Answer(card, phone, "auth", signChallenge.Challenge) with { Kind = "sign" };
        Assert.Equal("unknown-card-certificate", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, secret, mixed, CancellationToken.None))).Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));

        // An expired one.
        var late = await server.Api.GetResetChallengeAsync(phone.PhoneId, secret, "auth", CancellationToken.None);
        server.Clock.Advance(PhoneLifecycle.ChallengeLifetime + TimeSpan.FromSeconds(1));
        before = await SnapshotAsync(card, phone.PhoneId);
        Assert.Equal("challenge-expired", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, secret, Answer(card, phone, "auth", late.Challenge), CancellationToken.None))).Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));

        // Another phone's challenge (same person, or anyone) is not this phone's.
        var (otherCard, otherPhone, _, _) = await RegisteredAsync("別人 四郎");
        var foreign = await server.Api.GetResetChallengeAsync(otherPhone.PhoneId, Secret(otherPhone), "auth", CancellationToken.None);
        before = await SnapshotAsync(card, phone.PhoneId, otherPhone.PhoneId);
        Assert.Equal("bad-challenge", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, secret, Answer(card, phone, "auth", foreign.Challenge), CancellationToken.None))).Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId, otherPhone.PhoneId));
        _ = otherCard;
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("sign")]
    public async Task ResetPassword_AnotherPersonsCard_ForbiddenAndNothingChanged(string kind)
    {
        var (card, phone, _, _) = await RegisteredAsync();
        var stranger = await server.IssueCardAsync("他人 五郎", "1970-01-01", "female", "大阪府大阪市北区梅田1-1");
        var challenge = await server.Api.GetResetChallengeAsync(phone.PhoneId, Secret(phone), kind, CancellationToken.None);
        var before = await SnapshotAsync(card, phone.PhoneId);

        var refused = await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, Secret(phone), Answer(stranger, phone, kind, challenge.Challenge), CancellationToken.None));

        Assert.Equal("card-of-another-person", refused.Code);
        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));

        // The challenge was not used up: the owner's card still answers it.
        await server.Api.ResetPasswordAsync(phone.PhoneId, Secret(phone), Answer(card, phone, kind, challenge.Challenge), CancellationToken.None);
    }

    /// <summary>
    /// The attack of issue 10 ("Why", 3): the signing password locked by five wrong tries, then SET PIN, RESET PIN without
    /// an authorisation, and RESET PIN with genuine authorisations from this server for another phone, for the other kind,
    /// and replayed: all refused, and the SE still will not sign.
    /// </summary>
    [Fact]
    public async Task SecureElementAttack_LockedSigningPassword_NoPinSetOrResetWithoutThisSesAuthorisation()
    {
        var (card, phone, app, _) = await RegisteredAsync();
        var (otherCard, otherPhone, _, _) = await RegisteredAsync("攻撃 次郎");
        for (var i = 0; i < 5; i++)
        {
            Assert.ThrowsAny<AppException>(() => app.CheckPhonePassword(PinKind.Signing, "WRONG999"));
        }

        var se = new SecureElementClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        byte[] pin = [.. "TAKEN2026"u8];

        // SET PIN over the locked one, and RESET PIN with nothing but a PIN.
        Assert.Equal(StatusWords.ConditionsNotSatisfied, se.Send(new CommandApdu(0x80, 0x2C, 0x00, 0x1B, pin, null)).Sw);
        Assert.Equal(StatusWords.WrongData, se.ResetPinRaw(PinKind.Signing, pin).Sw);

        // A genuine authorisation for the attacker's own phone (own card, own reset flow), tried on the victim's SE.
        se.GetChallenge();
        var foreign = await AuthorisationAsync(otherCard, otherPhone, "sign");
        Assert.Equal(StatusWords.ReferencedDataNotFound, se.ResetPinRaw(PinKind.Signing, [.. foreign, .. pin]).Sw);

        // A genuine authorisation for the victim's auth PIN (the other kind), tried on the signing password.
        var otherKind = await AuthorisationAsync(card, phone, "auth", se.GetChallenge());
        Assert.Equal(StatusWords.DataInconsistentWithP1P2, se.ResetPinRaw(PinKind.Signing, [.. otherKind, .. pin]).Sw);

        // A genuine signing authorisation for this SE, used by its owner once, then replayed (no challenge, a fresh one).
        var used = await AuthorisationAsync(card, phone, "sign", se.GetChallenge());
        se.ResetPin(PinKind.Signing, "OWNER2026", used);
        for (var i = 0; i < 5; i++)
        {
            Assert.ThrowsAny<AppException>(() => app.CheckPhonePassword(PinKind.Signing, "WRONG999"));
        }

        Assert.Equal(StatusWords.ConditionsNotSatisfied, se.ResetPinRaw(PinKind.Signing, [.. used, .. pin]).Sw);
        se.GetChallenge();
        Assert.Equal(StatusWords.ConditionsNotSatisfied, se.ResetPinRaw(PinKind.Signing, [.. used, .. pin]).Sw);

        // Still locked, for the attacker's PIN and the owner's; no signature.
        Assert.Equal("phone-password-locked", Assert.Throws<AppException>(() => app.CheckPhonePassword(PinKind.Signing, "TAKEN2026")).Code);
        Assert.Equal("phone-password-locked", Assert.Throws<AppException>(() => app.CheckPhonePassword(PinKind.Signing, "OWNER2026")).Code);
        se.Jpki.SelectAp();
        se.Jpki.Verify(PinKind.Signing, "TAKEN2026");
        var refused = Assert.Throws<JpkiCardException>(() => se.Jpki.SignDigestInfo(PinKind.Signing, DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("e-application"u8))));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, refused.Sw);
    }

    [Fact]
    public async Task ResetPassword_NoOrBadSeChallenge_BadFieldChallengeNotUsedUp()
    {
        var (card, phone, _, _) = await RegisteredAsync();
        var challenge = await server.Api.GetResetChallengeAsync(phone.PhoneId, Secret(phone), "auth", CancellationToken.None);
        var before = await SnapshotAsync(card, phone.PhoneId);

        foreach (var bad in new string?[] { null, string.Empty, Convert.ToBase64String(new byte[31]), Convert.ToBase64String(new byte[33]), "not base64!" })
        {
            var request = Answer(card, phone, "auth", challenge.Challenge) with { SeChallenge = bad };
            Assert.Equal("bad-field", (await Assert.ThrowsAsync<AppException>(() => server.Api.ResetPasswordAsync(phone.PhoneId, Secret(phone), request, CancellationToken.None))).Code);
        }

        Assert.Equal(before, await SnapshotAsync(card, phone.PhoneId));
        Assert.NotEmpty((await server.Api.ResetPasswordAsync(phone.PhoneId, Secret(phone), Answer(card, phone, "auth", challenge.Challenge), CancellationToken.None)).Authorization);
    }

    /// <summary>The server's reset authorisation for <paramref name="phone"/> after its owner's card answered (the SE challenge given, or the phone SE's own).</summary>
    private async Task<byte[]> AuthorisationAsync(TestCard card, VirtualPhone phone, string kind, byte[]? seChallenge = null)
    {
        seChallenge ??= new SecureElementClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp)).GetChallenge();
        var challenge = await server.Api.GetResetChallengeAsync(phone.PhoneId, Secret(phone), kind, CancellationToken.None);
        var approval = await server.Api.ResetPasswordAsync(phone.PhoneId, Secret(phone), Answer(card, phone, kind, challenge.Challenge, seChallenge), CancellationToken.None);
        return Convert.FromBase64String(approval.Authorization);
    }

    /// <summary>The card's answer to a reset challenge, as the app computes it (card auth key with the PIN, or signing key with the password).</summary>
    internal static PasswordResetRequest Answer(TestCard card, VirtualPhone phone, string kind, string challenge, byte[]? seChallenge = null)
    {
        var pinKind = kind == "sign" ? PinKind.Signing : PinKind.Auth;
        var client = new JpkiClient(card.Card.Applet);
        client.SelectAp();
        Assert.True(client.Verify(pinKind, pinKind == PinKind.Signing ? card.Password : "1234").Verified);
        using var certificate = client.ReadCertificate(JpkiFiles.CertificateFid(pinKind));
        using var key = new JpkiRsa(client, pinKind, certificate.GetRSAPublicKey()!.ExportParameters(false));
        var signature = key.SignData(PasswordResetChallenge.SignedBytes(phone.PhoneId, kind, challenge), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new PasswordResetRequest(kind, challenge, Convert.ToBase64String(certificate.RawData), Convert.ToBase64String(signature), Convert.ToBase64String(seChallenge ?? RandomNumberGenerator.GetBytes(32)));
    }

    internal static string Secret(VirtualPhone phone) => phone.App.Values["deviceSecret"];

    private static string Serial(IReadOnlyList<X509Certificate2> certs, CertificateKind kind) =>
        certs.Single(c => CertificatePolicies.KindOf(c) == kind).SerialNumber.ToLowerInvariant();

    private static bool Basic4InfoCodecRead(X509Certificate2 certificate) => MobileJpki.Pki.Basic4InfoCodec.TryRead(certificate, out var info) && info is not null;

    private async Task<(TestCard Card, VirtualPhone Phone, PortalApp App, IReadOnlyList<X509Certificate2> Certificates)> RegisteredAsync(string name = "生涯 太郎")
    {
        var card = await server.IssueCardAsync(name);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certs = await server.ApplyAndRegisterAsync(app, card);
        return (card, phone, app, certs);
    }

    /// <summary>Every row the lifecycle could touch for this person and these phones, to prove a refusal changed nothing.</summary>
    private async Task<string> SnapshotAsync(TestCard card, params string[] phoneIds)
    {
        var personId = Guid.Parse(card.Issued.PersonId);
        await using var db = server.OpenDb();
        var certificates = (await db.Certificates.AsNoTracking().Where(c => c.PersonId == personId).ToListAsync())
            .OrderBy(c => c.Serial, StringComparer.Ordinal).Select(c => new { c.Serial, c.Status, c.RevocationReason, c.RevokedAt, c.StatusChangedAt, c.PhoneId });
        var applications = (await db.Applications.AsNoTracking().Where(a => a.PersonId == personId).ToListAsync())
            .OrderBy(a => a.Id).Select(a => new { a.Id, a.Status, a.Purpose, a.Reason });
        var phones = (await db.Phones.AsNoTracking().Where(p => phoneIds.Contains(p.PhoneId)).ToListAsync())
            .OrderBy(p => p.PhoneId, StringComparer.Ordinal).Select(p => new { p.PhoneId, p.WipeRequested, p.PersonId, p.DeviceSecretHash });
        var challenges = (await db.Challenges.AsNoTracking().Where(c => phoneIds.Contains(c.Subject)).ToListAsync())
            .OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => new { c.Id, c.UsedAt });
        var notices = await db.Notifications.AsNoTracking().CountAsync(n => phoneIds.Contains(n.PhoneId));
        return JsonSerializer.Serialize(new { certificates, applications, phones, challenges, notices });
    }
}

/// <summary>Screens whose person declines every confirmation; records the bodies shown.</summary>
internal sealed class DecliningScreens : IAppScreens
{
    public List<string> Shown { get; } = [];

    public void Show(string titleJa, string titleEn, string? body = null) => Shown.Add(body ?? string.Empty);

    public void Progress(int percent, string labelJa, string labelEn)
    {
    }

    public string Ask(string promptJa, string promptEn, bool secret) => throw new AppException("input-required", promptEn);

    public bool Confirm(string promptJa, string promptEn) => false;
}

/// <summary>On SQLite.</summary>
public sealed class SqliteAppLifecycleTests(MjpkiServer server) : AppLifecycleTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresAppLifecycleTests(PostgresMjpkiServer server) : AppLifecycleTests(server), IClassFixture<PostgresMjpkiServer>;
