using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Tests;

/// <summary>The コンビニ交付 incident must be impossible: under concurrency every result belongs to its own person.</summary>
public sealed class ConcurrencyTests
{
    private const int People = 20;

    [Fact]
    public async Task AcceptAndProcess_TwentyPeopleInParallel_EachGetsOnlyTheirOwnCertificates()
    {
        using var h = new RaHarness(configure: o => o.BatchSize = 3);
        var persons = Enumerable.Range(0, People).Select(i => new Basic4Info(
            $"試験 太郎{i:D2}",
            $"SHIKEN TARO {i:D2}",
            (Gender)((i % 3) + 1),
            new DateOnly(1960 + i, (i % 12) + 1, (i % 27) + 1),
            $"東京都千代田区千代田{i + 1}番",
            null)).ToArray();
        var cards = await Task.WhenAll(Enumerable.Range(0, People).Select(i => Task.Run(() => h.IssueCardAsync(persons[i], 10 + i))));
        var phones = Enumerable.Range(0, People).Select(i => new TestPhone($"phone{i:D2}", 10 + i)).ToArray();

        var applications = await Task.WhenAll(Enumerable.Range(0, People).Select(i => Task.Run(() => h.ApplyAsync(cards[i], phones[i]))));
        var processed = await Task.WhenAll(Task.Run(h.ProcessAsync), Task.Run(h.ProcessAsync));

        Assert.Equal(People, processed.Sum());
        Assert.Equal(People, cards.Select(c => c.PersonId).Distinct().Count());
        await using var db = h.Database.Open();
        Assert.Equal(People * 4, await db.Certificates.CountAsync());
        Assert.Equal(People * 4, await db.Certificates.Select(c => c.Serial).Distinct().CountAsync());
        for (var i = 0; i < People; i++)
        {
            var card = cards[i];
            var phone = phones[i];
            var application = await db.Applications.AsNoTracking().SingleAsync(a => a.PhoneId == phone.PhoneId);
            Assert.Equal(applications[i].Id, application.Id);
            Assert.Equal(card.PersonId, application.PersonId);
            Assert.Equal(card.SigningSerial, application.CardSigningSerial);
            Assert.Equal((int)ApplicationStatus.Issued, application.Status);
            Assert.Equal(card.PersonId, (await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == phone.PhoneId)).PersonId);

            var rows = await db.Certificates.AsNoTracking().Where(c => c.ApplicationId == application.Id).ToListAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r =>
            {
                Assert.Equal(card.PersonId, r.PersonId);
                Assert.Equal(phone.PhoneId, r.PhoneId);
                Assert.Equal((int)CertificateStatus.Issued, r.Status);
            });

            using var signing = X509CertificateLoader.LoadCertificate(rows.Single(r => r.Kind == (int)CertificateKind.PhoneSigning).Der!);
            using var auth = X509CertificateLoader.LoadCertificate(rows.Single(r => r.Kind == (int)CertificateKind.PhoneAuth).Der!);
            Assert.True(Basic4InfoCodec.TryRead(signing, out var facts));
            Assert.Equal(persons[i], facts);
            Assert.True(Basic4InfoCodec.TryRead(card.SigningCertificate, out var cardFacts));
            Assert.Equal(cardFacts, facts);
            Assert.Equal(phone.SigningSpki, signing.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.Equal(phone.AuthSpki, auth.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.True(signing.NotAfter <= card.SigningCertificate.NotAfter);
            Assert.True(auth.NotAfter <= card.AuthCertificate.NotAfter);

            var note = Assert.Single(await db.Notifications.AsNoTracking().Where(n => n.PhoneId == phone.PhoneId).ToListAsync());
            Assert.Equal(application.Id, note.ApplicationId);
            Assert.Equal(Notices.IssuedType, note.Type);
        }
    }

    [Fact]
    public async Task AcceptAsync_SameApplicationSubmittedConcurrently_StoredOnce()
    {
        using var h = new RaHarness();
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var cms = card.Sign(new TestPhone("phoneA", 0).Apply(h.Now, "sign", "auth"));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                await h.Ra.AcceptAsync(cms, CancellationToken.None);
                return "accepted";
            }
            catch (MjpkiException e)
            {
                return e.Code;
            }
        })));

        Assert.Equal(1, attempts.Count(a => a == "accepted"));
        Assert.Equal(7, attempts.Count(a => a == "replayed-application"));
        Assert.Equal(1, (await h.Database.CountsAsync()).Applications);
    }
}
