using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests;

/// <summary>Run against both providers: <see cref="CertificateLedgerSqliteTests"/> and <see cref="CertificateLedgerPostgresTests"/>.</summary>
public abstract class CertificateLedgerTests(StorageProvider provider)
{
    [Fact]
    public async Task RecordIntentsAsync_BeforeSigning_WritesPendingRowsWithTbsAndNoDer()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var application = Guid.NewGuid();
        var tbs = RandomNumberGenerator.GetBytes(300);
        var intent = new CertificateIntent("1a2b3c", CertificateKind.PhoneSigning, person, "phoneA", application, f.Now, f.Now.AddYears(4), tbs);

        await f.Storage.RecordIntentsAsync([intent], CancellationToken.None);

        await using (var db = f.Database.Open())
        {
            var row = await db.Certificates.AsNoTracking().SingleAsync();
            Assert.Equal("1a2b3c", row.Serial);
            Assert.Equal((int)CertificateStatus.Pending, row.Status);
            Assert.Equal(tbs, row.Tbs);
            Assert.Null(row.Der);
            Assert.Null(row.IssuedAt);
            Assert.Equal(f.Now, row.CreatedAt);
            Assert.Equal(person, row.PersonId);
            Assert.Equal("phoneA", row.PhoneId);
            Assert.Equal(application, row.ApplicationId);
        }

        f.Time.Advance(TimeSpan.FromSeconds(2));
        var der = RandomNumberGenerator.GetBytes(500);
        await f.Storage.RecordSignedAsync([new IssuedCertificate("1a2b3c", CertificateKind.PhoneSigning, der)], CancellationToken.None);

        var record = await f.Storage.GetCertificateAsync("1a2b3c", CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal(CertificateStatus.Issued, record.Status);
        Assert.Equal(der, record.Der);
        await using (var db = f.Database.Open())
        {
            var row = await db.Certificates.AsNoTracking().SingleAsync();
            Assert.Equal(tbs, row.Tbs);
            Assert.Equal(f.Now, row.IssuedAt);
        }
    }

    [Fact]
    public async Task IssueAsync_ThroughCertificateAuthority_IntentsAreDurableBeforeSignatures()
    {
        using var f = new StorageFixture(provider);
        var directory = Path.Combine(Path.GetTempPath(), "mjpki-storage-tests", "ca-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var ca = CaHierarchy.LoadOrCreate(new PkiOptions { DataDirectory = directory }, new SoftwareKeyProvider(Path.Combine(directory, "keys")), f.Time);
            var ledger = new ObservingLedger(f.Storage, f.Database);
            var authority = new CertificateAuthority(ca, new CertificateIssuer(ca, f.Time), ledger);
            var person = new Basic4Info("山田 太郎", null, Gender.Male, new DateOnly(1990, 6, 15), "東京都千代田区千代田1番1号", null);
            using var signingKey = RSA.Create(2048);
            using var authKey = RSA.Create(2048);
            var personId = Guid.NewGuid();

            var issued = await authority.IssueAsync(
                [
                    new IssueOrder(new IssueRequest(CertificateKind.CardSigning, signingKey.ExportSubjectPublicKeyInfo(), person, person.BirthDate, null), personId, null, null),
                    new IssueOrder(new IssueRequest(CertificateKind.CardAuth, authKey.ExportSubjectPublicKeyInfo(), null, person.BirthDate, null), personId, null, null),
                ],
                CancellationToken.None);

            // What the database held when the signed certificates arrived: every serial, Pending, with its TBS.
            Assert.Equal(issued.Select(i => i.Serial).Order(), ledger.SeenBeforeSigned.Select(r => r.Serial).Order());
            Assert.All(ledger.SeenBeforeSigned, r =>
            {
                Assert.Equal((int)CertificateStatus.Pending, r.Status);
                Assert.Null(r.Der);
                Assert.NotEmpty(r.Tbs);
            });

            await using var db = f.Database.Open();
            foreach (var certificate in issued)
            {
                var row = await db.Certificates.AsNoTracking().SingleAsync(c => c.Serial == certificate.Serial);
                Assert.Equal((int)CertificateStatus.Issued, row.Status);
                Assert.Equal(certificate.Der, row.Der);
                Assert.Equal(TbsOf(certificate.Der), row.Tbs);
                Assert.Equal(ledger.SeenBeforeSigned.Single(r => r.Serial == certificate.Serial).Tbs, row.Tbs);
                using var parsed = X509CertificateLoader.LoadCertificate(certificate.Der);
                Assert.Equal(certificate.Serial, parsed.SerialNumber.ToLowerInvariant());
                Assert.Equal(new DateTimeOffset(parsed.NotAfter.ToUniversalTime()), row.NotAfter);
                Assert.Equal(personId, row.PersonId);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
    }

    [Fact]
    public async Task ActivateAsync_IssuedCertificatesOfPhone_OnlyThoseBecomeActive()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var completed = await f.AddApplicationAsync("phoneA", person);
        var unfinished = await f.AddApplicationAsync("phoneA", person);
        await using (var db = f.Database.Factory.CreateDbContext())
        {
            db.Applications.Single(a => a.Id == completed.Id).Status = (int)ApplicationStatus.Issued;
            await db.SaveChangesAsync();
        }

        await SeedAsync(f, "aa01", CertificateKind.PhoneSigning, person, "phoneA", CertificateStatus.Issued, completed.Id);
        await SeedAsync(f, "aa02", CertificateKind.PhoneAuth, person, "phoneA", CertificateStatus.Pending, completed.Id);
        await SeedAsync(f, "aa03", CertificateKind.PhoneAuth, person, "phoneA", CertificateStatus.Issued, unfinished.Id);
        await SeedAsync(f, "bb01", CertificateKind.PhoneSigning, Guid.NewGuid(), "phoneB", CertificateStatus.Issued);

        // Only the certificate of the completed application: one of an application still being completed waits.
        Assert.Equal(1, await f.Storage.ActivateAsync("phoneA", ["aa01", "aa02", "aa03", "bb01"], CancellationToken.None));
        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("aa03", CancellationToken.None))!.Status);

        Assert.Equal(CertificateStatus.Active, (await f.Storage.GetCertificateAsync("aa01", CancellationToken.None))!.Status);
        Assert.Equal(CertificateStatus.Pending, (await f.Storage.GetCertificateAsync("aa02", CancellationToken.None))!.Status);
        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("bb01", CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task GetActiveCardCertificatesAsync_MixedRows_ReturnsOnlyActiveCardCertificatesOfPerson()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        await SeedAsync(f, "c001", CertificateKind.CardSigning, person, null, CertificateStatus.Issued);
        await SeedAsync(f, "c002", CertificateKind.CardAuth, person, null, CertificateStatus.Issued);
        await SeedAsync(f, "c003", CertificateKind.CardSigning, person, null, CertificateStatus.Issued);
        await SeedAsync(f, "c004", CertificateKind.PhoneSigning, person, "phoneA", CertificateStatus.Active);
        await SeedAsync(f, "c005", CertificateKind.CardSigning, Guid.NewGuid(), null, CertificateStatus.Active);
        await f.Storage.ActivateCardCertificatesAsync(person, ["c001", "c002", "c003", "c005"], null, CancellationToken.None);
        await using (var db = f.Database.Open())
        {
            await db.Certificates.Where(c => c.Serial == "c003").ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Revoked));
        }

        var active = await f.Storage.GetActiveCardCertificatesAsync(person, CancellationToken.None);

        Assert.Equal(["c001", "c002"], active.Select(c => c.Serial).Order());
    }

    [Fact]
    public async Task CompleteApplicationsAsync_SamePersonNewPhone_RevokesOldPhoneAndQueuesNotices()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var oldApp = await f.AddApplicationAsync("phoneA", person);
        await SeedAsync(f, "a001", CertificateKind.PhoneSigning, person, "phoneA", CertificateStatus.Active, oldApp.Id);
        await SeedAsync(f, "a002", CertificateKind.PhoneAuth, person, "phoneA", CertificateStatus.Issued, oldApp.Id);
        var newApp = await f.AddApplicationAsync("phoneB", person);
        await SeedAsync(f, "b001", CertificateKind.PhoneSigning, person, "phoneB", CertificateStatus.Issued, newApp.Id);
        f.Time.Advance(TimeSpan.FromMinutes(1));

        var notified = await f.Storage.CompleteApplicationsAsync([Outcome(newApp, f.Now, ("b001", CertificateKind.PhoneSigning))], CancellationToken.None);

        Assert.Equal(["phoneA", "phoneB"], notified.Order());
        foreach (var serial in new[] { "a001", "a002" })
        {
            var old = await f.Storage.GetCertificateAsync(serial, CancellationToken.None);
            Assert.Equal(CertificateStatus.Revoked, old!.Status);
            Assert.Equal("device-changed", old.RevocationReason);
            Assert.Equal(f.Now, old.RevokedAt);
        }

        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("b001", CancellationToken.None))!.Status);
        Assert.True((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);
        Assert.Equal([Notices.WipeType], (await f.Storage.GetNotificationsAsync("phoneA", 0, CancellationToken.None)).Select(n => n.Type));
        Assert.Equal([Notices.IssuedType], (await f.Storage.GetNotificationsAsync("phoneB", 0, CancellationToken.None)).Select(n => n.Type));
        var completed = Assert.Single(await f.Storage.GetApplicationsOfPhoneAsync("phoneB", CancellationToken.None));
        Assert.Equal(ApplicationStatus.Issued, completed.Status);
        Assert.Equal(f.Now, completed.CompletedAt);
    }

    [Theory]
    [InlineData(CertificateStatus.Revoked)]
    [InlineData(CertificateStatus.Suspended)]
    public async Task CompleteApplicationsAsync_CardCertificateChangedSincePlanning_RejectsAndRevokesTheNewCertificates(CertificateStatus cardStatus)
    {
        // The card event (address change, renewal, loss) commits between the RA's plan and the completion.
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var oldApp = await f.AddApplicationAsync("phoneA", person);
        await SeedAsync(f, "a001", CertificateKind.PhoneSigning, person, "phoneA", CertificateStatus.Active, oldApp.Id);
        var newApp = await f.AddApplicationAsync("phoneB", person);
        await SeedAsync(f, "b001", CertificateKind.PhoneSigning, person, "phoneB", CertificateStatus.Issued, newApp.Id);
        await using (var db = f.Database.Factory.CreateDbContext())
        {
            var card = db.Certificates.Single(c => c.Serial == newApp.CardSigningSerial);
            card.Status = (int)cardStatus;
            await db.SaveChangesAsync();
        }

        var notified = await f.Storage.CompleteApplicationsAsync([Outcome(newApp, f.Now, ("b001", CertificateKind.PhoneSigning))], CancellationToken.None);

        Assert.Equal(["phoneB"], notified);
        var fresh = await f.Storage.GetCertificateAsync("b001", CancellationToken.None);
        Assert.Equal((CertificateStatus.Revoked, "abandoned"), (fresh!.Status, fresh.RevocationReason));

        // Nothing else moved: the old phone keeps its certificate and is not wiped.
        Assert.Equal(CertificateStatus.Active, (await f.Storage.GetCertificateAsync("a001", CancellationToken.None))!.Status);
        Assert.False((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);
        var refused = Assert.Single(await f.Storage.GetApplicationsOfPhoneAsync("phoneB", CancellationToken.None));
        Assert.Equal(ApplicationStatus.Rejected, refused.Status);
        Assert.Equal([Notices.RejectedType], (await f.Storage.GetNotificationsAsync("phoneB", 0, CancellationToken.None)).Select(n => n.Type));
    }

    [Fact]
    public async Task CompleteApplicationsAsync_SamePersonTwoPhonesInOneBatch_LaterOutcomeWins()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var appA = await f.AddApplicationAsync("phoneA", person);
        var appB = await f.AddApplicationAsync("phoneB", person);
        await SeedAsync(f, "a001", CertificateKind.PhoneSigning, person, "phoneA", CertificateStatus.Issued, appA.Id);
        await SeedAsync(f, "b001", CertificateKind.PhoneSigning, person, "phoneB", CertificateStatus.Issued, appB.Id);

        await f.Storage.CompleteApplicationsAsync(
            [Outcome(appA, f.Now, ("a001", CertificateKind.PhoneSigning)), Outcome(appB, f.Now, ("b001", CertificateKind.PhoneSigning))],
            CancellationToken.None);

        var a = await f.Storage.GetCertificateAsync("a001", CancellationToken.None);
        Assert.Equal(CertificateStatus.Revoked, a!.Status);
        Assert.Equal("device-changed", a.RevocationReason);
        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("b001", CancellationToken.None))!.Status);
        Assert.True((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);
        Assert.False((await f.Storage.GetPhoneAsync("phoneB", CancellationToken.None))!.WipeRequested);
    }

    [Fact]
    public async Task CompleteApplicationsAsync_OtherPeopleInSameBatch_DoNotAffectEachOther()
    {
        using var f = new StorageFixture(provider);
        var yamada = Guid.NewGuid();
        var suzuki = Guid.NewGuid();
        var appA = await f.AddApplicationAsync("phoneA", yamada);
        var appB = await f.AddApplicationAsync("phoneB", suzuki);
        await SeedAsync(f, "a001", CertificateKind.PhoneSigning, yamada, "phoneA", CertificateStatus.Issued, appA.Id);
        await SeedAsync(f, "b001", CertificateKind.PhoneSigning, suzuki, "phoneB", CertificateStatus.Issued, appB.Id);

        var notified = await f.Storage.CompleteApplicationsAsync(
            [Outcome(appA, f.Now, ("a001", CertificateKind.PhoneSigning)), Outcome(appB, f.Now, ("b001", CertificateKind.PhoneSigning))],
            CancellationToken.None);

        Assert.Equal(["phoneA", "phoneB"], notified.Order());
        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("a001", CancellationToken.None))!.Status);
        Assert.Equal(CertificateStatus.Issued, (await f.Storage.GetCertificateAsync("b001", CancellationToken.None))!.Status);
        Assert.False((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);
    }

    [Fact]
    public async Task AcknowledgeWipeAsync_WipeRequested_ClearsFlag()
    {
        using var f = new StorageFixture(provider);
        var person = Guid.NewGuid();
        var appA = await f.AddApplicationAsync("phoneA", person);
        await SeedAsync(f, "a001", CertificateKind.PhoneAuth, person, "phoneA", CertificateStatus.Issued, appA.Id);
        var appB = await f.AddApplicationAsync("phoneB", person);
        await SeedAsync(f, "b001", CertificateKind.PhoneAuth, person, "phoneB", CertificateStatus.Issued, appB.Id);
        await f.Storage.CompleteApplicationsAsync([Outcome(appB, f.Now, ("b001", CertificateKind.PhoneAuth))], CancellationToken.None);
        Assert.True((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);

        await f.Storage.AcknowledgeWipeAsync("phoneA", CancellationToken.None);

        Assert.False((await f.Storage.GetPhoneAsync("phoneA", CancellationToken.None))!.WipeRequested);
    }

    private static IssuanceOutcome Outcome(ApplicationRecord application, DateTimeOffset at, params (string Serial, CertificateKind Kind)[] certificates) => new(
        application.Id,
        application.PersonId,
        application.PhoneId,
        certificates.Select(c => new IssuedCertificate(c.Serial, c.Kind, [0x30, 0x00])).ToArray(),
        at,
        Notices.Issued(application.PhoneId, application.Id, at));

    /// <summary>Puts a certificate row in the given state through the ledger, as the CA would.</summary>
    private static async Task SeedAsync(StorageFixture f, string serial, CertificateKind kind, Guid person, string? phoneId, CertificateStatus status, Guid? applicationId = null)
    {
        await f.Storage.RecordIntentsAsync([new CertificateIntent(serial, kind, person, phoneId, applicationId, f.Now, f.Now.AddYears(4), [0x30, 0x00])], CancellationToken.None);
        if (status == CertificateStatus.Pending)
        {
            return;
        }

        await f.Storage.RecordSignedAsync([new IssuedCertificate(serial, kind, [0x30, 0x03, 0x02, 0x01, 0x01])], CancellationToken.None);
        if (status == CertificateStatus.Active && phoneId is not null)
        {
            // Straight to Active: registration (ActivateAsync) would also require the application to be completed.
            await using var db = f.Database.Factory.CreateDbContext();
            db.Certificates.Single(c => c.Serial == serial).Status = (int)CertificateStatus.Active;
            await db.SaveChangesAsync();
        }
        else if (status == CertificateStatus.Active)
        {
            await f.Storage.ActivateCardCertificatesAsync(person, [serial], null, CancellationToken.None);
        }
    }

    private static byte[] TbsOf(byte[] certificate) =>
        new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();

    /// <summary>Passes through to storage, but snapshots the rows of each signed batch just before they are recorded.</summary>
    private sealed class ObservingLedger(StorageAuthority inner, TestDatabase database) : ICertificateLedger
    {
        public List<CertificateEntity> SeenBeforeSigned { get; } = [];

        public Task RecordIntentsAsync(IReadOnlyList<CertificateIntent> intents, CancellationToken ct) => inner.RecordIntentsAsync(intents, ct);

        public async Task RecordSignedAsync(IReadOnlyList<IssuedCertificate> signed, CancellationToken ct)
        {
            var serials = signed.Select(s => s.Serial).ToArray();
            await using (var db = database.Open())
            {
                SeenBeforeSigned.AddRange(await db.Certificates.AsNoTracking().Where(c => serials.Contains(c.Serial)).ToListAsync(ct));
            }

            await inner.RecordSignedAsync(signed, ct);
        }
    }
}

public sealed class CertificateLedgerSqliteTests() : CertificateLedgerTests(StorageProvider.Sqlite);

public sealed class CertificateLedgerPostgresTests() : CertificateLedgerTests(StorageProvider.Postgres);
