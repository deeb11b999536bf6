using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra.Office;
using MobileJpki.Storage;

namespace MobileJpki.Ra.Tests;

/// <summary>Card events at the municipal office and their cascades to phone certificates (DESIGN.md "Lifecycle", card events).</summary>
public sealed class MunicipalOfficeTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task ChangeAddressAsync_PersonWithRegisteredPhone_ReplacesCardSigningAndRevokesPhoneSigningOnly()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var phoneCerts = await IssueAndRegisterAsync(h, card, phone);
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var newKey = TestKeys.Rsa(40);

        var result = await office.ChangeAddressAsync(new CardRef(null, card.SigningSerial), null, null, "北海道札幌市中央区北1条西2丁目", null, newKey.ExportSubjectPublicKeyInfo(), None);

        await using var db = h.Database.Open();
        var old = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == card.SigningSerial);
        Assert.Equal((int)CertificateStatus.Revoked, old.Status);
        Assert.Equal(RevocationReasons.AffiliationChanged, old.RevocationReason);
        Assert.Equal(h.Now, old.RevokedAt);
        var issued = Assert.Single(result.Issued);
        var fresh = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == issued.Serial);
        Assert.Equal((int)CertificateStatus.Active, fresh.Status);
        Assert.Equal((int)CertificateKind.CardSigning, fresh.Kind);
        Assert.Equal(card.PersonId, fresh.PersonId);
        using (var cert = X509CertificateLoader.LoadCertificate(fresh.Der!))
        {
            Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.True(Der.ChainsTo(cert, h.Ca.CertificateFor(Hierarchy.Signing), h.Now));
            Assert.True(Basic4InfoCodec.TryRead(cert, out var facts));
            Assert.Equal(RaHarness.Yamada with { Address = "北海道札幌市中央区北1条西2丁目" }, facts);
        }

        var cardAuth = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == card.AuthCertificate.SerialNumber.ToLowerInvariant());
        Assert.Equal((int)CertificateStatus.Active, cardAuth.Status);
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        var phoneSigning = rows.Single(r => r.Kind == (int)CertificateKind.PhoneSigning);
        Assert.Equal((int)CertificateStatus.Revoked, phoneSigning.Status);
        Assert.Equal(RevocationReasons.AffiliationChanged, phoneSigning.RevocationReason);
        Assert.Equal(h.Now, phoneSigning.RevokedAt);
        Assert.Equal((int)CertificateStatus.Active, rows.Single(r => r.Kind == (int)CertificateKind.PhoneAuth).Status);
        Assert.Equal([phoneCerts.Signing], result.PhoneCertificates.Select(c => c.Serial));
        var notice = (await h.NotificationsAsync("phoneA")).Last();
        Assert.Equal(OfficeNotices.AddressChangedType, notice.Type);
        Assert.StartsWith("住所・氏名の変更", notice.Title, StringComparison.Ordinal);
        Assert.Contains("Apply again for the signing certificate", notice.Body, StringComparison.Ordinal);
        Assert.Contains("phoneA", h.Notifier.Notified);

        // The phone applies again for the signing certificate with the new card certificate: it carries the new address.
        using var newCardCert = X509CertificateLoader.LoadCertificate(issued.Der);
        var newCard = card with { SigningCertificate = newCardCert, SigningKey = newKey };
        await h.ApplyAsync(newCard, phone, "sign");
        Assert.Equal(1, await h.ProcessAsync());
        var reissued = (await h.CertificatesOfPhoneAsync("phoneA")).Single(r => r.Kind == (int)CertificateKind.PhoneSigning && r.Status == (int)CertificateStatus.Issued);
        using var reissuedCert = X509CertificateLoader.LoadCertificate(reissued.Der!);
        Assert.True(Basic4InfoCodec.TryRead(reissuedCert, out var phoneFacts));
        Assert.Equal("北海道札幌市中央区北1条西2丁目", phoneFacts!.Address);
        Assert.True(reissuedCert.NotAfter <= newCardCert.NotAfter);
        Assert.Equal((int)CertificateStatus.Active, (await h.CertificatesOfPhoneAsync("phoneA")).Single(r => r.Serial == phoneCerts.Auth).Status);
    }

    [Fact]
    public async Task ChangeAddressAsync_NameChange_NewNameAndOldApplicationRejectedAtIssue()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Suzuki, 0);
        var queued = await h.ApplyAsync(card, new TestPhone("phoneA", 0));

        var result = await office.ChangeAddressAsync(new CardRef(card.PersonId, null), "佐藤 花子", null, null, null, TestKeys.Spki(41), None);

        using (var cert = X509CertificateLoader.LoadCertificate(result.Issued[0].Der))
        {
            Assert.True(Basic4InfoCodec.TryRead(cert, out var facts));
            Assert.Equal(RaHarness.Suzuki with { Name = "佐藤 花子" }, facts);
        }

        Assert.Empty(result.PhoneCertificates);
        Assert.Equal(1, await h.ProcessAsync());
        var row = await h.ApplicationAsync(queued.Id);
        Assert.Equal((int)ApplicationStatus.Rejected, row.Status);
        Assert.Contains("失効", row.Reason, StringComparison.Ordinal);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneA"));
    }

    [Fact]
    public async Task RenewAsync_PersonWithPhone_ReplacesBothCardCertificatesRevokesEveryPhoneCertificate()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        await IssueAndRegisterAsync(h, card, phone);

        // An application queued with the old card, still waiting when the card is renewed.
        h.Time.Advance(TimeSpan.FromMinutes(5));
        var queued = await h.ApplyAsync(card, phone, "sign");
        var result = await office.RenewAsync(new CardRef(null, card.AuthCertificate.SerialNumber.ToLowerInvariant()), TestKeys.Spki(42), TestKeys.Spki(43), None);

        await using (var db = h.Database.Open())
        {
            var cards = await db.Certificates.AsNoTracking().Where(c => c.PersonId == card.PersonId && c.PhoneId == null).ToListAsync();
            Assert.Equal(4, cards.Count);
            var old = cards.Where(c => c.Serial == card.SigningSerial || c.Serial == card.AuthCertificate.SerialNumber.ToLowerInvariant()).ToArray();
            Assert.Equal(2, old.Length);
            Assert.All(old, c =>
            {
                Assert.Equal((int)CertificateStatus.Revoked, c.Status);
                Assert.Equal(RevocationReasons.CardRenewed, c.RevocationReason);
            });
            var fresh = cards.Except(old).ToArray();
            Assert.All(fresh, c => Assert.Equal((int)CertificateStatus.Active, c.Status));
            Assert.Equal(result.Issued.Select(i => i.Serial).Order(), fresh.Select(c => c.Serial).Order());
        }

        using (var signing = X509CertificateLoader.LoadCertificate(result.Issued.Single(i => i.Kind == CertificateKind.CardSigning).Der))
        using (var auth = X509CertificateLoader.LoadCertificate(result.Issued.Single(i => i.Kind == CertificateKind.CardAuth).Der))
        {
            Assert.Equal(TestKeys.Spki(42), signing.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.Equal(TestKeys.Spki(43), auth.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.True(Basic4InfoCodec.TryRead(signing, out var facts));
            Assert.Equal(RaHarness.Yamada, facts);
            Assert.True(Der.ChainsTo(auth, h.Ca.CertificateFor(Hierarchy.Auth), h.Now));
        }

        var phoneRows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, phoneRows.Count);
        Assert.All(phoneRows, r =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, r.Status);
            Assert.Equal(RevocationReasons.CardRenewed, r.RevocationReason);
        });
        Assert.Equal(OfficeNotices.RenewedType, (await h.NotificationsAsync("phoneA")).Last().Type);

        // The application signed with the old card certificate is rejected when its turn comes.
        Assert.Equal(1, await h.ProcessAsync());
        Assert.Equal((int)ApplicationStatus.Rejected, (await h.ApplicationAsync(queued.Id)).Status);
        Assert.Equal(2, (await h.CertificatesOfPhoneAsync("phoneA")).Count);

        // The old card cannot apply any more either.
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(card, phone));
        Assert.Equal("card-certificate-revoked", ex.Code);
    }

    [Fact]
    public async Task ReportLossAsync_Hold_CardCertificatesOnHoldNoApplicationUntilFound()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var phoneCerts = await IssueAndRegisterAsync(h, card, phone);
        var queued = await h.ApplyAsync(card, new TestPhone("phoneB", 1));
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var heldAt = h.Now;

        var result = await office.ReportLossAsync(new CardRef(card.PersonId, null), final: false, None);

        Assert.Equal(2, result.CardCertificates.Count);
        Assert.Empty(result.PhoneCertificates);
        await using (var db = h.Database.Open())
        {
            var cards = await db.Certificates.AsNoTracking().Where(c => c.PersonId == card.PersonId && c.PhoneId == null).ToListAsync();
            Assert.All(cards, c =>
            {
                Assert.Equal((int)CertificateStatus.Suspended, c.Status);
                Assert.Equal(RevocationReasons.Hold, c.RevocationReason);
                Assert.Equal(heldAt, c.RevokedAt);
            });
        }

        // The phone's certificates are not the card: they stay good.
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), r => Assert.Equal((int)CertificateStatus.Active, r.Status));

        // No new application from the held card, and one queued before the hold is not issued.
        var before = await h.Database.CountsAsync();
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(card, new TestPhone("phoneC", 2)));
        Assert.Equal("card-certificate-on-hold", ex.Code);
        Assert.Equal(before, await h.Database.CountsAsync());
        Assert.Equal(1, await h.ProcessAsync());
        Assert.Equal((int)ApplicationStatus.Rejected, (await h.ApplicationAsync(queued.Id)).Status);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneB"));

        var found = await office.ReportFoundAsync(new CardRef(null, card.AuthCertificate.SerialNumber.ToLowerInvariant()), None);

        Assert.Equal(2, found.CardCertificates.Count);
        await using (var db = h.Database.Open())
        {
            Assert.All(await db.Certificates.AsNoTracking().Where(c => c.PersonId == card.PersonId && c.PhoneId == null).ToListAsync(), c =>
            {
                Assert.Equal((int)CertificateStatus.Active, c.Status);
                Assert.Null(c.RevocationReason);
                Assert.Null(c.RevokedAt);
            });
        }

        await h.ApplyAsync(card, new TestPhone("phoneC", 2));
        Assert.Equal(1, await h.ProcessAsync());
        Assert.Equal(2, (await h.CertificatesOfPhoneAsync("phoneC")).Count(c => c.Status == (int)CertificateStatus.Issued));
        Assert.Contains(phoneCerts.Signing, (await h.CertificatesOfPhoneAsync("phoneA")).Where(c => c.Status == (int)CertificateStatus.Revoked).Select(c => c.Serial));
    }

    [Fact]
    public async Task ReportLossAsync_FinalAfterHold_RevokesCardKeyCompromiseFromHoldTimeAndCascadesToPhone()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        await IssueAndRegisterAsync(h, card, new TestPhone("phoneA", 0));
        await office.ReportLossAsync(new CardRef(card.PersonId, null), final: false, None);
        var heldAt = h.Now;
        h.Time.Advance(TimeSpan.FromDays(3));

        var result = await office.ReportLossAsync(new CardRef(card.PersonId, null), final: true, None);

        Assert.Equal(2, result.CardCertificates.Count);
        Assert.Equal(2, result.PhoneCertificates.Count);
        await using var db = h.Database.Open();
        var cards = await db.Certificates.AsNoTracking().Where(c => c.PersonId == card.PersonId && c.PhoneId == null).ToListAsync();
        Assert.All(cards, c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal(RevocationReasons.KeyCompromise, c.RevocationReason);
            Assert.Equal(heldAt, c.RevokedAt);
            Assert.Equal(h.Now, c.StatusChangedAt);
        });
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), r =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, r.Status);
            Assert.Equal(RevocationReasons.KeyCompromise, r.RevocationReason);
            Assert.Equal(h.Now, r.RevokedAt);
        });
        Assert.Equal(OfficeNotices.LostType, (await h.NotificationsAsync("phoneA")).Last().Type);

        // Nothing more can be done with the revoked card but a renewal, which finds no live certificate.
        var again = await Assert.ThrowsAsync<MjpkiException>(() => office.ReportLossAsync(new CardRef(card.PersonId, null), final: true, None));
        Assert.Equal("card-revoked", again.Code);
        var renew = await Assert.ThrowsAsync<MjpkiException>(() => office.RenewAsync(new CardRef(card.PersonId, null), TestKeys.Spki(44), TestKeys.Spki(45), None));
        Assert.Equal("card-revoked", renew.Code);
    }

    [Fact]
    public async Task ReportLossAsync_FinalWithoutHold_SuspendedPhoneCertificatesRevokedToo()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phoneCerts = await IssueAndRegisterAsync(h, card, new TestPhone("phoneA", 0));
        await using (var db = h.Database.Open())
        {
            // The hotline had suspended the phone signing certificate.
            await db.Certificates.Where(c => c.Serial == phoneCerts.Signing)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Suspended).SetProperty(c => c.RevocationReason, RevocationReasons.Hold).SetProperty(c => c.RevokedAt, h.Now));
        }

        h.Time.Advance(TimeSpan.FromHours(1));
        var result = await office.ReportLossAsync(new CardRef(null, card.SigningSerial), final: true, None);

        Assert.Equal(2, result.PhoneCertificates.Count);
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), r =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, r.Status);
            Assert.Equal(RevocationReasons.KeyCompromise, r.RevocationReason);
        });
    }

    [Fact]
    public async Task OfficeActs_BadInput_ClearErrorsNothingChanged()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        await IssueAndRegisterAsync(h, card, new TestPhone("phoneA", 0));
        var renewed = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        var oldAuthSerial = renewed.AuthCertificate.SerialNumber.ToLowerInvariant();
        await office.RenewAsync(new CardRef(renewed.PersonId, null), TestKeys.Spki(46), TestKeys.Spki(47), None);
        var snapshot = await SnapshotAsync(h);

        async Task Refused(string code, Func<Task> act)
        {
            var ex = await Assert.ThrowsAsync<MjpkiException>(act);
            Assert.Equal(code, ex.Code);
            Assert.Equal(snapshot, await SnapshotAsync(h));
        }

        var address = "北海道札幌市中央区北1条西2丁目";
        await Refused("unknown-person", () => office.ChangeAddressAsync(new CardRef(Guid.NewGuid(), null), null, null, address, null, TestKeys.Spki(48), None));
        await Refused("unknown-card", () => office.RenewAsync(new CardRef(null, "0123abcd"), TestKeys.Spki(48), TestKeys.Spki(49), None));
        await Refused("unknown-card", () => office.ReportLossAsync(new CardRef(null, "NOT-HEX"), false, None));
        await Refused("bad-field", () => office.ReportLossAsync(new CardRef(card.PersonId, card.SigningSerial), false, None));
        await Refused("bad-field", () => office.ReportLossAsync(new CardRef(null, null), false, None));

        // The old card after a renewal: its certificates are revoked, so the office refuses to act on it.
        await Refused("card-revoked", () => office.ChangeAddressAsync(new CardRef(null, oldAuthSerial), null, null, address, null, TestKeys.Spki(48), None));
        await Refused("card-revoked", () => office.ReportLossAsync(new CardRef(null, oldAuthSerial), true, None));
        await Refused("card-revoked", () => office.CheckPinResetAsync(oldAuthSerial, CertificateKind.CardAuth, None));
        await Refused("bad-field", () => office.CheckPinResetAsync(card.SigningSerial, CertificateKind.CardAuth, None));

        await Refused("bad-field", () => office.ChangeAddressAsync(new CardRef(card.PersonId, null), null, null, null, null, TestKeys.Spki(48), None));
        await Refused("bad-field", () => office.ChangeAddressAsync(new CardRef(card.PersonId, null), null, null, RaHarness.Yamada.Address, null, TestKeys.Spki(48), None));
        await Refused("bad-key", () => office.ChangeAddressAsync(new CardRef(card.PersonId, null), null, null, address, null, card.SigningCertificate.PublicKey.ExportSubjectPublicKeyInfo(), None));
        await Refused("bad-key", () => office.ChangeAddressAsync(new CardRef(card.PersonId, null), null, null, address, null, [1, 2, 3], None));
        await Refused("bad-key", () => office.RenewAsync(new CardRef(card.PersonId, null), TestKeys.Spki(48), TestKeys.Spki(48), None));
        await Refused("not-on-hold", () => office.ReportFoundAsync(new CardRef(card.PersonId, null), None));

        // On hold: a second hold, and an address change, are refused.
        await office.ReportLossAsync(new CardRef(card.PersonId, null), false, None);
        snapshot = await SnapshotAsync(h);
        await Refused("card-on-hold", () => office.ReportLossAsync(new CardRef(card.PersonId, null), false, None));
        await Refused("card-on-hold", () => office.ChangeAddressAsync(new CardRef(card.PersonId, null), null, null, address, null, TestKeys.Spki(48), None));
    }

    [Fact]
    public async Task ApplyCardEventAsync_StatusChangedMeanwhile_NothingAppliedNewCertificateAbandoned()
    {
        using var h = new RaHarness();
        var store = new OfficeStore(h.Database.Factory);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phoneCerts = await IssueAndRegisterAsync(h, card, new TestPhone("phoneA", 0));
        var issued = await h.Authority.IssueAsync(
            [new IssueOrder(new IssueRequest(CertificateKind.CardSigning, TestKeys.Spki(50), RaHarness.Yamada, RaHarness.Yamada.BirthDate, null), card.PersonId, null, null)],
            None);

        // Planned on a held card, but the card is active: another act won the race.
        var outcome = await store.ApplyCardEventAsync(
            new CardEvent(
                card.PersonId,
                h.Now,
                [new CardStatusChange(card.SigningSerial, [CertificateStatus.Suspended], CertificateStatus.Revoked, RevocationReasons.CardRenewed)],
                [issued[0].Serial],
                new PhoneCascade([CertificateKind.PhoneSigning, CertificateKind.PhoneAuth], RevocationReasons.CardRenewed, OfficeNotices.Renewed)),
            None);

        Assert.False(outcome.Applied);
        await using var db = h.Database.Open();
        Assert.Equal((int)CertificateStatus.Active, (await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == card.SigningSerial)).Status);
        var abandoned = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == issued[0].Serial);
        Assert.Equal((int)CertificateStatus.Revoked, abandoned.Status);
        Assert.Equal(RevocationReasons.Abandoned, abandoned.RevocationReason);
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), r => Assert.Equal((int)CertificateStatus.Active, r.Status));
        Assert.DoesNotContain(await h.NotificationsAsync("phoneA"), n => n.Type == OfficeNotices.RenewedType);
        Assert.NotNull(phoneCerts.Auth);
    }

    [Fact]
    public async Task ProcessDueAsync_CardCertificateExpiredWhileQueued_RejectedWithClearReason()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var cardNotAfter = new DateTimeOffset(card.SigningCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var phoneCerts = await IssueAndRegisterAsync(h, card, new TestPhone("phoneA", 0));

        // The phone certificates end with the card's at the latest.
        foreach (var row in await h.CertificatesOfPhoneAsync("phoneA"))
        {
            using var cert = X509CertificateLoader.LoadCertificate(row.Der!);
            var cap = row.Kind == (int)CertificateKind.PhoneSigning ? card.SigningCertificate.NotAfter : card.AuthCertificate.NotAfter;
            Assert.True(cert.NotAfter <= cap, $"phone {row.Kind} outlives its card certificate");
            Assert.True(row.NotAfter <= cardNotAfter);
        }

        // Queued a minute before the card certificate ends, processed after: refused at issue time.
        h.Time.SetUtcNow(cardNotAfter.AddMinutes(-1));
        var queued = await h.Ra.AcceptAsync(card.Sign(new TestPhone("phoneB", 1).Apply(h.Now, "sign", "auth")), None);
        h.Time.SetUtcNow(h.Window.ProcessAfter(cardNotAfter.AddMinutes(1)));
        Assert.True(queued.ProcessAfter <= h.Now);
        Assert.Equal(1, await h.ProcessAsync());

        var row2 = await h.ApplicationAsync(queued.Id);
        Assert.Equal((int)ApplicationStatus.Rejected, row2.Status);
        Assert.Contains("有効期限", row2.Reason, StringComparison.Ordinal);
        Assert.Contains("expired", row2.Reason, StringComparison.Ordinal);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneB"));

        // Applying now is refused outright.
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(card, new TestPhone("phoneC", 2)));
        Assert.Equal("card-certificate-expired", ex.Code);
        Assert.NotNull(phoneCerts.Signing);
    }

    [Fact]
    public async Task RenewAsync_ExpiredCard_NewCertificatesPhoneCapsAtTheNewCard()
    {
        using var h = new RaHarness();
        var office = Office(h);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        h.Time.SetUtcNow(new DateTimeOffset(card.SigningCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero).AddDays(2));
        h.Time.SetUtcNow(h.Window.ProcessAfter(h.Now));

        var result = await office.RenewAsync(new CardRef(card.PersonId, null), TestKeys.Spki(52), TestKeys.Spki(53), None);

        using var newSigning = X509CertificateLoader.LoadCertificate(result.Issued.Single(i => i.Kind == CertificateKind.CardSigning).Der);
        Assert.True(newSigning.NotAfter > h.Now.UtcDateTime);
        Assert.True(newSigning.NotBefore <= h.Now.UtcDateTime);
        var renewedCard = card with { SigningCertificate = newSigning, SigningKey = TestKeys.Rsa(52) };
        await h.ApplyAsync(renewedCard, new TestPhone("phoneA", 0));
        Assert.Equal(1, await h.ProcessAsync());
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            using var cert = X509CertificateLoader.LoadCertificate(r.Der!);
            Assert.True(cert.NotAfter <= newSigning.NotAfter);
        });
    }

    private static MunicipalOffice Office(RaHarness h) =>
        new(new OfficeStore(h.Database.Factory), h.Authority, h.Notifier, h.Time, NullLogger<MunicipalOffice>.Instance);

    /// <summary>Apply, issue and register both phone certificates; returns their serials.</summary>
    private static async Task<(string Signing, string Auth)> IssueAndRegisterAsync(RaHarness h, TestCard card, TestPhone phone)
    {
        await h.ApplyAsync(card, phone);
        await h.ProcessAsync();
        var rows = (await h.CertificatesOfPhoneAsync(phone.PhoneId)).Where(r => r.Status == (int)CertificateStatus.Issued).ToArray();
        await h.Ra.RegisterAsync(await h.AuthenticateAsync(phone), rows.Select(r => r.Serial).ToArray(), None);
        return (rows.Single(r => r.Kind == (int)CertificateKind.PhoneSigning).Serial, rows.Single(r => r.Kind == (int)CertificateKind.PhoneAuth).Serial);
    }

    /// <summary>Every certificate's serial, status and reason, and the notice count: equal before and after means nothing changed.</summary>
    private static async Task<string> SnapshotAsync(RaHarness h)
    {
        await using var db = h.Database.Open();
        var certs = await db.Certificates.AsNoTracking().OrderBy(c => c.Serial).Select(c => c.Serial + ":" + c.Status + ":" + c.RevocationReason).ToListAsync();
        return string.Join(",", certs) + "|" + await db.Notifications.CountAsync() + "|" + await db.Outbox.CountAsync();
    }
}
