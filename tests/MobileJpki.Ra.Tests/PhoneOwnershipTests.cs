using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;

namespace MobileJpki.Ra.Tests;

/// <summary>
/// A phone id is the SE's attested serial number; applying with another person's phone id must not take that phone over,
/// neither from another SE (phone-id-mismatch) nor from an SE certified with the same serial (phone-in-use, decided in the
/// transaction that writes the application).
/// </summary>
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

    /// <summary>"Why" (1): A applies after 19:30 so the application waits for the morning; B then tries A's phone id.</summary>
    [Fact]
    public async Task AcceptAsync_QueuedApplicationThenAnotherPersonClaimsThePhone_RefusedAndNothingOfAReachesB()
    {
        using var h = new RaHarness(now: new DateTimeOffset(2026, 4, 1, 19, 45, 0, RaHarness.Jst));
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var suzuki = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        var yamadaPhone = new TestPhone("phoneA", 0);
        var queued = await h.ApplyAsync(yamada, yamadaPhone);
        Assert.True(queued.ProcessAfter > h.Now);
        var yamadaSecret = (await h.PhoneAsync("phoneA")).DeviceSecretHash;
        var before = await h.Database.CountsAsync();

        // B's own card, a genuine SE of another serial, but A's phone id in the application: the SE does not vouch for it.
        var otherSe = new TestPhone("phoneA", 1, secureElementId: "phoneB");
        var mismatch = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(suzuki, otherSe));
        Assert.Equal("phone-id-mismatch", mismatch.Code);
        Assert.Equal(ErrorKind.BadRequest, mismatch.Kind);

        // B's card with an SE the maker certified under A's serial (a cloned identity; anyone can mint one under a root
        // whose key is published): the phone id is true, but A's queued application still holds the phone.
        var clone = new TestPhone("phoneA", 2);
        var inUse = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(suzuki, clone));
        Assert.Equal("phone-in-use", inUse.Code);
        Assert.Equal(ErrorKind.Conflict, inUse.Kind);

        Assert.Equal(before, await h.Database.CountsAsync());
        var phone = await h.PhoneAsync("phoneA");
        Assert.Equal(yamada.PersonId, phone.PersonId);
        Assert.Equal(yamadaSecret, phone.DeviceSecretHash);
        await h.AuthenticateAsync(yamadaPhone);
        foreach (var attacker in new[] { otherSe, clone })
        {
            Assert.Equal("phone-unauthorized", (await Assert.ThrowsAsync<MjpkiException>(() => h.AuthenticateAsync(attacker))).Code);
        }

        // The morning: A's application is issued to A, on A's phone, readable only with A's secret.
        h.Time.SetUtcNow(queued.ProcessAfter);
        Assert.Equal(1, await h.ProcessAsync());
        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(queued.Id)).Status);
        var status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(yamadaPhone), includeCertificates: true, CancellationToken.None);
        Assert.Equal(2, status.Certificates.Count(c => c.Certificate is not null));
        var rows = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(yamada.PersonId, r.PersonId));
        await using var db = h.Database.Open();
        Assert.False(await db.Applications.AnyAsync(a => a.PersonId == suzuki.PersonId));
        Assert.False(await db.Certificates.AnyAsync(c => c.PersonId == suzuki.PersonId && c.PhoneId != null));
    }

    [Fact]
    public async Task AcceptAsync_KeysFromTwoSecureElements_PhoneIdMismatch()
    {
        using var h = new RaHarness();
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var mine = new TestPhone("phoneA", 0);
        var foreign = new TestPhone("phoneA", 1, secureElementId: "phoneZ");
        var nonce = RandomNumberGenerator.GetBytes(32);
        var challenge = EnrollmentApplicationChallenge(nonce);

        // The signing key attested by this phone's SE, the auth key by another SE: one application, one SE.
        var application = mine.Apply(h.Now, nonce, "sign") with
        {
            Keys = [mine.Key("sign", mine.SigningKey, challenge), foreign.Key("auth", foreign.AuthKey, challenge)],
        };
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.Ra.AcceptAsync(yamada.Sign(application), CancellationToken.None));

        Assert.Equal("phone-id-mismatch", ex.Code);
        Assert.Equal(0, (await h.Database.CountsAsync()).Phones);
    }

    [Fact]
    public async Task AcceptAsync_DeviceCertificateWithoutSerial_BadAttestation()
    {
        using var h = new RaHarness();
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var anonymous = new TestPhone("phoneA", 0, secureElementId: string.Empty);

        var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.ApplyAsync(yamada, anonymous));

        Assert.Equal("bad-attestation", ex.Code);
        Assert.Equal(0, (await h.Database.CountsAsync()).Phones);
    }

    /// <summary>Two persons apply for one phone id at the same instant, many times: the phone goes to exactly one of them.</summary>
    [Fact]
    public async Task AcceptAsync_TwoPersonsRacingForOnePhone_ExactlyOneOwnsItAndOnlyTheirsIsQueued()
    {
        using var h = new RaHarness(now: new DateTimeOffset(2026, 4, 1, 19, 45, 0, RaHarness.Jst));
        var yamada = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var suzuki = await h.IssueCardAsync(RaHarness.Suzuki, 1);
        for (var round = 0; round < 8; round++)
        {
            var id = $"race{round}";
            var a = new TestPhone(id, 0);
            var b = new TestPhone(id, 1);
            var cms = new[] { yamada.Sign(a.Apply(h.Now, "sign", "auth")), suzuki.Sign(b.Apply(h.Now, "sign", "auth")) };
            var outcomes = await Task.WhenAll(cms.Select(c => Task.Run(async () =>
            {
                try
                {
                    await h.Ra.AcceptAsync(c, CancellationToken.None);
                    return "accepted";
                }
                catch (MjpkiException ex)
                {
                    return ex.Code;
                }
            })));

            Assert.Single(outcomes, o => o == "accepted");
            Assert.Single(outcomes, o => o == "phone-in-use");
            var winner = outcomes[0] == "accepted" ? yamada.PersonId : suzuki.PersonId;
            Assert.Equal(winner, (await h.PhoneAsync(id)).PersonId);
            await using var db = h.Database.Open();
            Assert.Equal([winner], await db.Applications.Where(x => x.PhoneId == id).Select(x => x.PersonId).ToListAsync());
        }
    }

    private static byte[] EnrollmentApplicationChallenge(byte[] nonce) => Core.Protocol.EnrollmentApplication.AttestationChallenge(nonce);
}
