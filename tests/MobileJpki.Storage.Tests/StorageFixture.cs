using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests;

/// <summary>A storage authority over a fresh database of the given provider, on a fake clock, with helpers to seed rows.</summary>
internal sealed class StorageFixture : IDisposable
{
    public static readonly DateTimeOffset DefaultNow = new(2026, 4, 1, 1, 0, 0, TimeSpan.Zero);

    public StorageFixture(StorageProvider provider)
    {
        Database = new TestDatabase(provider);
        Storage = new StorageAuthority(Database.Factory, Time, new StorageNode("test-node", StorageNode.DefaultClaimLease, WallClock));
    }

    /// <summary>Real time as the SA's claims see it (leases), separate from the service clock.</summary>
    public FakeTimeProvider WallClock { get; } = new(DefaultNow);

    public FakeTimeProvider Time { get; } = new(DefaultNow);

    public DateTimeOffset Now => Time.GetUtcNow();

    public TestDatabase Database { get; }

    public StorageAuthority Storage { get; }

    public static ApplicationRecord Application(Guid personId, string phoneId, DateTimeOffset acceptedAt, DateTimeOffset processAfter, params CertificateKind[] kinds) => new(
        Guid.NewGuid(),
        personId,
        phoneId,
        "0a" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(15)),
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        (kinds.Length == 0 ? [CertificateKind.PhoneSigning, CertificateKind.PhoneAuth] : kinds)
            .Select(k => new ApplicationKeyRecord(k, RandomNumberGenerator.GetBytes(40))).ToArray(),
        ApplicationStatus.Queued,
        acceptedAt,
        processAfter,
        null,
        null,
        null);

    public static PhoneRecord Phone(string phoneId, Guid personId, DateTimeOffset at) =>
        new(phoneId, "pixel-8", "Android 15", SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(phoneId)), personId, false, at);

    /// <summary>Adds a queued application (and its phone) due at <paramref name="processAfter"/>, or now.</summary>
    public async Task<ApplicationRecord> AddApplicationAsync(string phoneId, Guid? personId = null, DateTimeOffset? processAfter = null)
    {
        var person = personId ?? Guid.NewGuid();
        var application = Application(person, phoneId, Now, processAfter ?? Now);
        Assert.True(await Storage.TryAddApplicationAsync(application, Phone(phoneId, person, Now), CancellationToken.None));
        await AddCardSigningCertificateAsync(application);
        return application;
    }

    /// <summary>The active card signing certificate the application names (completion re-checks it under the person's lock).</summary>
    public async Task AddCardSigningCertificateAsync(ApplicationRecord application, CertificateStatus status = CertificateStatus.Active)
    {
        var serial = application.CardSigningSerial;
        await Storage.RecordIntentsAsync([new Pki.CertificateIntent(serial, CertificateKind.CardSigning, application.PersonId, null, null, Now, Now.AddYears(4), [0x30, 0x00])], CancellationToken.None);
        await Storage.RecordSignedAsync([new Pki.IssuedCertificate(serial, CertificateKind.CardSigning, [0x30, 0x00])], CancellationToken.None);
        await Storage.ActivateCardCertificatesAsync(application.PersonId, [serial], null, CancellationToken.None);
        if (status != CertificateStatus.Active)
        {
            await using var db = Database.Factory.CreateDbContext();
            var row = db.Certificates.Single(c => c.Serial == serial);
            row.Status = (int)status;
            await db.SaveChangesAsync();
        }
    }

    public void Dispose() => Database.Dispose();
}
