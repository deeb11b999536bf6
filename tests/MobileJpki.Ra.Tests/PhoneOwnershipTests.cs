using MobileJpki.Core;

namespace MobileJpki.Ra.Tests;

/// <summary>A phone id is chosen by the client; applying with another person's phone id must not take that phone over.</summary>
public sealed class PhoneOwnershipTests
{
    [Fact]
    public async Task AcceptAsync_PhoneWithAnotherPersonsLiveCertificates_PhoneInUseAndNothingStored()
    {
        using var h = new RaHarness();
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var suzuki = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        var yamadaPhone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(yamada, yamadaPhone);
        await h.ProcessAsync();
        var before = await h.Database.CountsAsync();

        // Suzuki's own genuine SE, but claiming Yamada's phone id.
        var impostor = new TestPhone("phoneA", 1);
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(suzuki, impostor));

        Assert.Equal("phone-in-use", ex.Code);
        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Equal(before, await h.Database.CountsAsync());
        Assert.Equal(yamada.PersonId, (await h.PhoneAsync("phoneA")).PersonId);
        await h.AuthenticateAsync(yamadaPhone);
        var denied = await Assert.ThrowsAsync<MjpkiException>(() => h.AuthenticateAsync(impostor));
        Assert.Equal("phone-unauthorized", denied.Code);
    }

    [Fact]
    public async Task AcceptAsync_PhoneWhoseCertificatesWereRevokedAndWiped_NewOwnerMayApply()
    {
        using var h = new RaHarness();
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var suzuki = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        var oldPhone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(yamada, oldPhone);
        await h.ProcessAsync();

        // Yamada moves to a new phone; the old one is revoked, wiped, and sold to Suzuki.
        await h.ApplyAsync(yamada, new TestPhone("phoneB", 1));
        await h.ProcessAsync();
        await h.Ra.AcknowledgeWipeAsync(await h.AuthenticateAsync(oldPhone), CancellationToken.None);
        var resold = new TestPhone("phoneA", 2);
        await h.ApplyAsync(suzuki, resold);
        await h.ProcessAsync();

        Assert.Equal(suzuki.PersonId, (await h.PhoneAsync("phoneA")).PersonId);
        var status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(resold), includeCertificates: true, CancellationToken.None);
        var issued = status.Certificates.Where(c => c.Certificate is not null).ToList();
        Assert.Equal(2, issued.Count);
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.All(issued, c => Assert.Equal(suzuki.PersonId, rows.Single(r => r.Serial == c.Serial).PersonId));
    }
}
