using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Device;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The convenience-store incident must be impossible: ten people apply at once through one server, and every
/// phone ends up with its own person's certificates only.
/// </summary>
public abstract class ConcurrencyTests(MjpkiServer server)
{
    private const int People = 10;

    [Fact]
    public async Task ApplyInParallel_TenPeople_EachPhoneBoundToItsOwnPerson()
    {
        await server.ToOpeningAsync();
        var cards = await Task.WhenAll(Enumerable.Range(0, People).Select(i =>
            server.IssueCardAsync($"並行 利用者{i:D2}", $"19{70 + i}-0{1 + (i % 9)}-1{i % 10}", i % 2 == 0 ? "female" : "male", $"東京都千代田区{i + 1}丁目")));
        var models = PhoneModels.SupportedModels.Select(m => m.Id).ToArray();
        var people = cards.Select((card, i) =>
        {
            var phone = server.NewPhone(models[i % models.Length]);
            return (Card: card, Phone: phone, App: server.NewApp(phone));
        }).ToArray();

        var certs = await Task.WhenAll(people.Select(p => Task.Run(async () =>
        {
            await p.App.ApplyAsync(p.Card.Card.Applet, MjpkiServer.Answers(p.Card.Password), CancellationToken.None);
            await p.App.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
            return await p.App.RegisterAsync(CancellationToken.None);
        })));

        var allSerials = certs.SelectMany(c => c).Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
        Assert.Equal(People * 2, allSerials.Distinct().Count());
        await using var db = server.OpenDb();
        for (var i = 0; i < People; i++)
        {
            var (card, phone, app) = people[i];
            Assert.Equal(2, certs[i].Count);

            // The signing certificate carries this person's 基本4情報, exactly the card's.
            using var cardSign = card.SigningCertificate;
            Assert.True(Basic4InfoCodec.TryRead(cardSign, out var expected));
            var sign = Assert.Single(certs[i], c => Basic4InfoCodec.TryRead(c, out _));
            Assert.True(Basic4InfoCodec.TryRead(sign, out var actual));
            Assert.Equal(expected, actual);
            Assert.Equal($"並行 利用者{i:D2}", actual!.Name);

            // The SE holds this phone's certificates; they certify the SE's own keys (the SE checked on write).
            Assert.Equal(certs[i].Select(c => c.Thumbprint).Order(), PortalApp.ReadCertificates(phone).Select(c => c.Thumbprint).Order());

            // The phone's status lists only its own serials.
            var own = certs[i].Select(c => c.SerialNumber.ToLowerInvariant()).ToHashSet();
            var status = await app.SyncAsync(CancellationToken.None);
            Assert.Equal(phone.PhoneId, status.PhoneId);
            Assert.Equal(own.Order(), status.Certificates.Select(c => c.Serial).Order());
            Assert.All(status.Certificates, c => Assert.Equal("active", c.Status));
            Assert.DoesNotContain(status.Certificates, c => !own.Contains(c.Serial));

            // And the database binds them to this phone and this person.
            var personId = Guid.Parse(card.Issued.PersonId);
            var rows = await db.Certificates.Where(c => c.PhoneId == phone.PhoneId).ToListAsync();
            Assert.Equal(own.Order(), rows.Select(r => r.Serial).Order());
            Assert.All(rows, r => Assert.Equal(personId, r.PersonId));
            Assert.All(rows, r => Assert.Equal((int)CertificateStatus.Active, r.Status));
        }
    }
}

/// <summary>Ten people at once on SQLite.</summary>
public sealed class SqliteConcurrencyTests(MjpkiServer server) : ConcurrencyTests(server), IClassFixture<MjpkiServer>;

/// <summary>Ten people at once on PostgreSQL.</summary>
public sealed class PostgresConcurrencyTests(PostgresMjpkiServer server) : ConcurrencyTests(server), IClassFixture<PostgresMjpkiServer>;
