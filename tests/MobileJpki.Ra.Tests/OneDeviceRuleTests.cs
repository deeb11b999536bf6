using MobileJpki.Core;

namespace MobileJpki.Ra.Tests;

/// <summary>Certificates live on one phone at a time (DESIGN.md "One device").</summary>
public sealed class OneDeviceRuleTests
{
    [Fact]
    public async Task ProcessDueAsync_SamePersonNewPhone_RevokesOldPhoneAndRequestsWipe()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phoneA = new TestPhone("phoneA", 0);
        var phoneB = new TestPhone("phoneB", 1);
        await h.ApplyAsync(card, phoneA);
        await h.ProcessAsync();
        var serialsA = (await h.CertificatesOfPhoneAsync("phoneA")).Select(c => c.Serial).ToArray();
        Assert.Equal(2, await h.Ra.RegisterAsync(await h.AuthenticateAsync(phoneA), serialsA, CancellationToken.None));
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal((int)CertificateStatus.Active, c.Status));

        h.Time.Advance(TimeSpan.FromHours(2));
        var applicationB = await h.ApplyAsync(card, phoneB);
        Assert.Equal(1, await h.ProcessAsync());

        var oldCertificates = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, oldCertificates.Count);
        Assert.All(oldCertificates, c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal("device-changed", c.RevocationReason);
            Assert.Equal(h.Now, c.RevokedAt);
        });
        Assert.True((await h.PhoneAsync("phoneA")).WipeRequested);
        Assert.Equal(Notices.WipeType, (await h.NotificationsAsync("phoneA")).Last().Type);

        var newCertificates = await h.CertificatesOfPhoneAsync("phoneB");
        Assert.Equal(2, newCertificates.Count);
        Assert.All(newCertificates, c =>
        {
            Assert.Equal((int)CertificateStatus.Issued, c.Status);
            Assert.Equal(applicationB.Id, c.ApplicationId);
            Assert.Equal(card.PersonId, c.PersonId);
        });
        Assert.False((await h.PhoneAsync("phoneB")).WipeRequested);
        Assert.Equal([Notices.IssuedType], (await h.NotificationsAsync("phoneB")).Select(n => n.Type));
        Assert.Contains("phoneA", h.Notifier.Notified);
        Assert.Contains("phoneB", h.Notifier.Notified);

        var statusA = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(phoneA), includeCertificates: true, CancellationToken.None);
        Assert.True(statusA.Wipe);
        Assert.All(statusA.Certificates, c => Assert.Null(c.Certificate));
    }

    [Fact]
    public async Task AcceptAsync_PhoneWithPendingWipe_WipePendingUntilAcknowledged()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phoneA = new TestPhone("phoneA", 0);
        var phoneB = new TestPhone("phoneB", 1);
        await h.ApplyAsync(card, phoneA);
        await h.ProcessAsync();
        await h.ApplyAsync(card, phoneB);
        await h.ProcessAsync();
        var before = await h.Database.CountsAsync();

        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(card, phoneA));

        Assert.Equal("wipe-pending", ex.Code);
        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Equal(before, await h.Database.CountsAsync());

        await h.Ra.AcknowledgeWipeAsync(await h.AuthenticateAsync(phoneA), CancellationToken.None);
        Assert.False((await h.PhoneAsync("phoneA")).WipeRequested);
        await h.ApplyAsync(card, phoneA);
        await h.ProcessAsync();
        Assert.All(await h.CertificatesOfPhoneAsync("phoneB"), c => Assert.Equal("device-changed", c.RevocationReason));
        Assert.Equal(2, (await h.CertificatesOfPhoneAsync("phoneA")).Count(c => c.Status == (int)CertificateStatus.Issued));
    }

    [Fact]
    public async Task ProcessDueAsync_OtherKindLaterFromSamePhone_KeepsFirstKind()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(card, phone, "sign");
        await h.ProcessAsync();
        var signing = Assert.Single(await h.CertificatesOfPhoneAsync("phoneA"));
        await h.Ra.RegisterAsync(await h.AuthenticateAsync(phone), [signing.Serial], CancellationToken.None);

        h.Time.Advance(TimeSpan.FromDays(3));
        await h.ApplyAsync(card, phone, "auth");
        await h.ProcessAsync();

        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        var signingNow = rows.Single(c => c.Serial == signing.Serial);
        Assert.Equal((int)CertificateStatus.Active, signingNow.Status);
        Assert.Null(signingNow.RevocationReason);
        var auth = rows.Single(c => c.Serial != signing.Serial);
        Assert.Equal((int)CertificateKind.PhoneAuth, auth.Kind);
        Assert.Equal((int)CertificateStatus.Issued, auth.Status);
        Assert.False((await h.PhoneAsync("phoneA")).WipeRequested);
        Assert.DoesNotContain(await h.NotificationsAsync("phoneA"), n => n.Type == Notices.WipeType);
    }

    [Fact]
    public async Task ProcessDueAsync_SameKindAgainFromSamePhone_SupersedesOnlyThatKind()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(card, phone, "sign", "auth");
        await h.ProcessAsync();
        var first = await h.CertificatesOfPhoneAsync("phoneA");

        h.Time.Advance(TimeSpan.FromMinutes(5));
        await h.ApplyAsync(card, phone, "sign");
        await h.ProcessAsync();

        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(3, rows.Count);
        var oldSigning = rows.Single(c => c.Serial == first.Single(f => f.Kind == (int)CertificateKind.PhoneSigning).Serial);
        Assert.Equal((int)CertificateStatus.Revoked, oldSigning.Status);
        Assert.Equal("superseded", oldSigning.RevocationReason);
        Assert.Equal((int)CertificateStatus.Issued, rows.Single(c => c.Serial == first.Single(f => f.Kind == (int)CertificateKind.PhoneAuth).Serial).Status);
        Assert.Equal((int)CertificateStatus.Issued, rows.Single(c => first.All(f => f.Serial != c.Serial)).Status);
        Assert.False((await h.PhoneAsync("phoneA")).WipeRequested);
    }

    [Fact]
    public async Task ProcessDueAsync_AnotherPersonsNewPhone_LeavesFirstPersonsPhoneAlone()
    {
        using var h = new RaHarness();
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var suzuki = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        await h.ApplyAsync(yamada, new TestPhone("phoneA", 0));
        await h.ProcessAsync();

        await h.ApplyAsync(suzuki, new TestPhone("phoneB", 1));
        await h.ProcessAsync();

        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        Assert.All(await h.CertificatesOfPhoneAsync("phoneB"), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        Assert.False((await h.PhoneAsync("phoneA")).WipeRequested);
    }

    [Fact]
    public async Task ProcessDueAsync_SamePersonTwoPhonesInOneBatch_OnlyLaterPhoneKeepsCertificates()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phoneA = new TestPhone("phoneA", 0);
        var phoneB = new TestPhone("phoneB", 1);
        await h.ApplyAsync(card, phoneA);
        h.Time.Advance(TimeSpan.FromSeconds(30));
        await h.ApplyAsync(card, phoneB);

        Assert.Equal(2, await h.ProcessAsync());

        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal("device-changed", c.RevocationReason);
        });
        var live = await h.CertificatesOfPhoneAsync("phoneB");
        Assert.Equal(2, live.Count);
        Assert.All(live, c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        Assert.True((await h.PhoneAsync("phoneA")).WipeRequested);
        Assert.False((await h.PhoneAsync("phoneB")).WipeRequested);
    }

    [Fact]
    public async Task ProcessDueAsync_SamePhoneSameKindTwiceInOneBatch_LaterCertificateStaysValid()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var first = await h.ApplyAsync(card, phone, "sign");
        h.Time.Advance(TimeSpan.FromSeconds(30));
        var second = await h.ApplyAsync(card, phone, "sign");

        Assert.Equal(2, await h.ProcessAsync());

        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        var old = rows.Single(c => c.ApplicationId == first.Id);
        Assert.Equal((int)CertificateStatus.Revoked, old.Status);
        Assert.Equal("superseded", old.RevocationReason);
        Assert.Equal((int)CertificateStatus.Issued, rows.Single(c => c.ApplicationId == second.Id).Status);
        Assert.False((await h.PhoneAsync("phoneA")).WipeRequested);
    }
}
