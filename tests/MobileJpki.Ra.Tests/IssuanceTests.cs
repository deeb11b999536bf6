using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Tests;

public sealed class IssuanceTests
{
    [Fact]
    public async Task AcceptAsync_ValidApplication_StoresQueuedRowDueAtOnce()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);

        var accepted = await h.ApplyAsync(card, phone);

        var row = await h.ApplicationAsync(accepted.Id);
        Assert.Equal((int)ApplicationStatus.Queued, row.Status);
        Assert.Equal(h.Now, row.ProcessAfter);
        Assert.Equal(h.Now, row.AcceptedAt);
        Assert.Equal(card.PersonId, row.PersonId);
        Assert.Equal("phoneA", row.PhoneId);
        Assert.Equal(card.SigningSerial, row.CardSigningSerial);
        Assert.Equal(1, await h.Storage.CountQueuedAsync(CancellationToken.None));
        var phoneRow = await h.PhoneAsync("phoneA");
        Assert.Equal(card.PersonId, phoneRow.PersonId);
        Assert.Equal(RaHarness.Model, phoneRow.Model);
        Assert.False(phoneRow.WipeRequested);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneA"));
    }

    [Fact]
    public async Task ProcessDueAsync_AcceptedApplication_IssuesBothPhoneCertificates()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone, "sign", "auth");

        Assert.Equal(1, await h.ProcessAsync());

        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(accepted.Id)).Status);
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal((int)CertificateStatus.Issued, r.Status);
            Assert.Equal(card.PersonId, r.PersonId);
            Assert.Equal(accepted.Id, r.ApplicationId);
            Assert.NotNull(r.Der);
            Assert.Equal(Der.TbsOf(r.Der!), r.Tbs);
        });

        using var signing = X509CertificateLoader.LoadCertificate(rows.Single(r => r.Kind == (int)CertificateKind.PhoneSigning).Der!);
        using var auth = X509CertificateLoader.LoadCertificate(rows.Single(r => r.Kind == (int)CertificateKind.PhoneAuth).Der!);

        Assert.Equal([Oids.PolicyPhoneSigning], Der.Policies(signing));
        Assert.Equal([Oids.PolicyPhoneAuth], Der.Policies(auth));
        Assert.Equal(phone.SigningSpki, signing.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(phone.AuthSpki, auth.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(Der.ChainsTo(signing, h.Ca.CertificateFor(Hierarchy.Signing), h.Now));
        Assert.True(Der.ChainsTo(auth, h.Ca.CertificateFor(Hierarchy.Auth), h.Now));
        Assert.True(signing.NotAfter <= card.SigningCertificate.NotAfter);
        Assert.True(auth.NotAfter <= card.AuthCertificate.NotAfter);

        Assert.True(Basic4InfoCodec.TryRead(signing, out var phoneFacts));
        Assert.True(Basic4InfoCodec.TryRead(card.SigningCertificate, out var cardFacts));
        Assert.Equal(cardFacts, phoneFacts);
        Assert.Equal(RaHarness.Yamada, phoneFacts);
        Assert.Null(auth.Extensions[Basic4InfoCodec.SubjectAltNameOid]);

        var note = Assert.Single(await h.NotificationsAsync("phoneA"));
        Assert.Equal(Notices.IssuedType, note.Type);
        Assert.Equal(accepted.Id, note.ApplicationId);
        Assert.Contains("phoneA", h.Notifier.Notified);
        Assert.Equal(0, await h.Storage.CountQueuedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ProcessDueAsync_SigningOnly_IssuesOnlyPhoneSigning()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(card, phone, "sign");

        await h.ProcessAsync();

        var row = Assert.Single(await h.CertificatesOfPhoneAsync("phoneA"));
        Assert.Equal((int)CertificateKind.PhoneSigning, row.Kind);
    }

    [Fact]
    public async Task ProcessDueAsync_AcceptedAfterCutoff_WaitsUntilNextOpening()
    {
        using var h = new RaHarness(now: new DateTimeOffset(2026, 4, 1, 19, 45, 0, RaHarness.Jst));
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);

        var accepted = await h.ApplyAsync(card, phone);

        var nextOpening = new DateTimeOffset(2026, 4, 2, 8, 0, 0, RaHarness.Jst);
        Assert.Equal(nextOpening, accepted.ProcessAfter);
        Assert.Equal(nextOpening, (await h.ApplicationAsync(accepted.Id)).ProcessAfter);

        Assert.Equal(0, await h.ProcessAsync());
        h.Time.SetUtcNow(new DateTimeOffset(2026, 4, 1, 23, 59, 0, RaHarness.Jst));
        Assert.Equal(0, await h.ProcessAsync());
        h.Time.SetUtcNow(nextOpening.AddSeconds(-1));
        Assert.Equal(0, await h.ProcessAsync());
        Assert.Equal((int)ApplicationStatus.Queued, (await h.ApplicationAsync(accepted.Id)).Status);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneA"));

        h.Time.SetUtcNow(nextOpening);
        Assert.Equal(1, await h.ProcessAsync());

        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(accepted.Id)).Status);
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(nextOpening, r.NotBefore));
    }

    [Fact]
    public async Task ProcessDueAsync_CardSigningRevokedAfterAccept_RejectsWithNotice()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);
        await using (var db = h.Database.Open())
        {
            await db.Certificates.Where(c => c.Serial == card.SigningSerial)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Revoked));
        }

        Assert.Equal(1, await h.ProcessAsync());

        var row = await h.ApplicationAsync(accepted.Id);
        Assert.Equal((int)ApplicationStatus.Rejected, row.Status);
        Assert.NotNull(row.Reason);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneA"));
        var note = Assert.Single(await h.NotificationsAsync("phoneA"));
        Assert.Equal(Notices.RejectedType, note.Type);
        Assert.Contains("phoneA", h.Notifier.Notified);
    }

    [Fact]
    public async Task ProcessDueAsync_CaUnavailable_ReturnsApplicationToQueue()
    {
        var failing = new FailingCertificateAuthority();
        using var h = new RaHarness(wrapCa: inner => failing.Wrap(inner));
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);

        failing.Fail = true;
        await Assert.ThrowsAsync<InvalidOperationException>(h.ProcessAsync);

        Assert.Equal((int)ApplicationStatus.Queued, (await h.ApplicationAsync(accepted.Id)).Status);
        Assert.Empty(await h.CertificatesOfPhoneAsync("phoneA"));

        failing.Fail = false;
        Assert.Equal(1, await h.ProcessAsync());
        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(accepted.Id)).Status);
        Assert.Equal(2, (await h.CertificatesOfPhoneAsync("phoneA")).Count);
    }

    [Fact]
    public async Task GetStatusAsync_AfterIssue_ListsApplicationAndCertificates()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);
        await h.ProcessAsync();

        var status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(phone), includeCertificates: true, CancellationToken.None);

        var app = Assert.Single(status.Applications);
        Assert.Equal(accepted.Id.ToString(), app.ApplicationId);
        Assert.Equal("issued", app.Status);
        Assert.Equal(2, status.Certificates.Count);
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.All(status.Certificates, c => Assert.Equal(rows.Single(r => r.Serial == c.Serial).Der, Convert.FromBase64String(c.Certificate!)));
    }
}

/// <summary>A CA that can be told to fail, as when its key is unreachable.</summary>
internal sealed class FailingCertificateAuthority
{
    public bool Fail { get; set; }

    public ICertificateAuthority Wrap(ICertificateAuthority inner) => new Wrapper(this, inner);

    private sealed class Wrapper(FailingCertificateAuthority owner, ICertificateAuthority inner) : ICertificateAuthority
    {
        public X509Certificate2 CaCertificate(Hierarchy hierarchy) => inner.CaCertificate(hierarchy);

        public Task<IReadOnlyList<IssuedCertificate>> IssueAsync(IReadOnlyList<IssueOrder> orders, CancellationToken ct) =>
            owner.Fail ? throw new InvalidOperationException("The CA key is unavailable.") : inner.IssueAsync(orders, ct);
    }
}
