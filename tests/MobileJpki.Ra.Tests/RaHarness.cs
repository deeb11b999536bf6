using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Storage;

namespace MobileJpki.Ra.Tests;

/// <summary>
/// The whole back office for one test: a CA in a temporary directory, a temporary SQLite database behind the
/// storage authority, and the RA wired to both, all on one fake clock.
/// </summary>
internal sealed class RaHarness : IDisposable
{
    public const string Model = "pixel-8";

    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>10:00 JST on 1 April 2026: inside the default processing window.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 4, 1, 10, 0, 0, Jst);

    public static readonly Basic4Info Yamada = new("山田 太郎", "YAMADA TARO", Gender.Male, new DateOnly(1990, 6, 15), "東京都千代田区千代田1番1号", null);

    public static readonly Basic4Info Suzuki = new("鈴木 花子", null, Gender.Female, new DateOnly(1985, 11, 3), "大阪府大阪市北区梅田1丁目1番1号", null);

    private readonly string _directory;

    public RaHarness(DateTimeOffset? now = null, Action<RaOptions>? configure = null, Func<ICertificateAuthority, ICertificateAuthority>? wrapCa = null, params Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors)
    {
        Time = new FakeTimeProvider((now ?? DefaultNow).ToUniversalTime());
        _directory = Path.Combine(Path.GetTempPath(), "mjpki-ra-tests", "ca-" + Guid.NewGuid().ToString("N"));
        var keyDirectory = Directory.CreateDirectory(Path.Combine(_directory, "keys")).FullName;
        File.WriteAllText(Path.Combine(keyDirectory, "ca-sign.key.pem"), TestKeys.CaRootKeyPems.Signing);
        File.WriteAllText(Path.Combine(keyDirectory, "ca-auth.key.pem"), TestKeys.CaRootKeyPems.Auth);

        // Port 9 (discard) refuses at once, should anything try to fetch an AIA or CRL URL.
        Ca = CaHierarchy.LoadOrCreate(new PkiOptions { DataDirectory = _directory, BaseUrl = "http://127.0.0.1:9" }, new SoftwareKeyProvider(keyDirectory), Time);
        Database = new TestDatabase(interceptors);
        Storage = new StorageAuthority(Database.Factory, Time);
        ICertificateAuthority authority = new CertificateAuthority(Ca, new CertificateIssuer(Ca, Time), Storage);
        Authority = wrapCa is null ? authority : wrapCa(authority);
        Options = new RaOptions { SupportedModels = new HashSet<string>(StringComparer.Ordinal) { Model, "iphone-15" } };
        configure?.Invoke(Options);
        Options.Validate();
        Window = new ProcessingWindow(Options.Window);
        Verifier = new ApplicationVerifier(Storage, Ca.CertificateFor(Hierarchy.Signing), [SeMaker.Trusted.RootCertificate], Options, Time);
        Ra = new RegistrationAuthority(Storage, Authority, Verifier, Window, Notifier, Options, Time, NullLogger<RegistrationAuthority>.Instance);
    }

    public FakeTimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    public CaHierarchy Ca { get; }

    public TestDatabase Database { get; }

    public StorageAuthority Storage { get; }

    public ICertificateAuthority Authority { get; }

    public RaOptions Options { get; }

    public ProcessingWindow Window { get; }

    public ApplicationVerifier Verifier { get; }

    public RecordingNotifier Notifier { get; } = new();

    public RegistrationAuthority Ra { get; }

    /// <summary>The municipal office issues a card; its keys come from slots 2·keySlot (signing) and the next (auth).</summary>
    public async Task<TestCard> IssueCardAsync(Basic4Info person, int keySlot)
    {
        var signingKey = TestKeys.Rsa(2 * keySlot);
        var authKey = TestKeys.Rsa((2 * keySlot) + 1);
        var (personId, signing, auth) = await Ra.IssueCardAsync(person, signingKey.ExportSubjectPublicKeyInfo(), authKey.ExportSubjectPublicKeyInfo(), CancellationToken.None);
        return new TestCard(personId, person, X509CertificateLoader.LoadCertificate(signing), signingKey, X509CertificateLoader.LoadCertificate(auth), authKey);
    }

    /// <summary>A fresh, valid application from <paramref name="phone"/> signed with <paramref name="card"/>, submitted now.</summary>
    public Task<ApplicationRecord> ApplyAsync(TestCard card, TestPhone phone, params string[] kinds) =>
        Ra.AcceptAsync(card.Sign(phone.Apply(Now, kinds.Length == 0 ? ["sign", "auth"] : kinds)), CancellationToken.None);

    public Task<int> ProcessAsync() => Ra.ProcessDueAsync(CancellationToken.None);

    public Task<PhoneRecord> AuthenticateAsync(TestPhone phone) => Ra.AuthenticatePhoneAsync(phone.PhoneId, phone.Secret, CancellationToken.None);

    public async Task<List<CertificateEntity>> CertificatesOfPhoneAsync(string phoneId)
    {
        await using var db = Database.Open();
        return await db.Certificates.AsNoTracking().Where(c => c.PhoneId == phoneId).ToListAsync();
    }

    public async Task<ApplicationEntity> ApplicationAsync(Guid id)
    {
        await using var db = Database.Open();
        return await db.Applications.AsNoTracking().SingleAsync(a => a.Id == id);
    }

    public async Task<PhoneEntity> PhoneAsync(string phoneId)
    {
        await using var db = Database.Open();
        return await db.Phones.AsNoTracking().SingleAsync(p => p.PhoneId == phoneId);
    }

    public async Task<List<NotificationEntity>> NotificationsAsync(string phoneId)
    {
        await using var db = Database.Open();
        return await db.Notifications.AsNoTracking().Where(n => n.PhoneId == phoneId).OrderBy(n => n.Id).ToListAsync();
    }

    public void Dispose()
    {
        Ca.Dispose();
        Database.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}

/// <summary>A My Number Card as the tests hold it: its certificates and private keys.</summary>
internal sealed record TestCard(Guid PersonId, Basic4Info Person, X509Certificate2 SigningCertificate, RSA SigningKey, X509Certificate2 AuthCertificate, RSA AuthKey)
{
    public string SigningSerial => SigningCertificate.SerialNumber.ToLowerInvariant();

    /// <summary>Signs the application as the portal app does, with the card's signing key (CMS SignedData, id-data).</summary>
    public byte[] Sign(EnrollmentApplication application) => Cms.Sign(application.ToJsonBytes(), SigningCertificate, SigningKey);
}

internal static class Cms
{
    public static byte[] Sign(byte[] content, X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        var cms = new SignedCms(new ContentInfo(content), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate, key)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
        };
        cms.ComputeSignature(signer);
        return cms.Encode();
    }
}

/// <summary>Records which phones the RA said have new notices.</summary>
internal sealed class RecordingNotifier : IPhoneNotifier
{
    private readonly ConcurrentQueue<string> _notified = new();

    public IReadOnlyCollection<string> Notified => _notified.ToArray();

    public void Notify(string phoneId) => _notified.Enqueue(phoneId);
}
