using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Revocation.Tests;

/// <summary>A throwaway RSA-2048 root with a subjectKeyIdentifier, its key wrapped to count signatures.</summary>
public sealed class TestCa : IDisposable
{
    // RSA-2048 generation takes ~100 ms; each CA name keeps its key for the whole run.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, RSAParameters> Keys = new();

    public TestCa(Hierarchy hierarchy, string name, DateTimeOffset now)
    {
        var rsa = RSA.Create(Keys.GetOrAdd(name, _ =>
        {
            using var generated = RSA.Create(2048);
            return generated.ExportParameters(true);
        }));
        var request = new CertificateRequest($"CN={name}, O=JPKI Sandbox, C=JP", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        Key = new CountingRsa(rsa);
        Issuer = new RevocationIssuer(hierarchy, Certificate, Key);
    }

    public X509Certificate2 Certificate { get; }

    public CountingRsa Key { get; }

    public RevocationIssuer Issuer { get; }

    public RSA PublicKey => Certificate.GetRSAPublicKey()!;

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>An RSA key that counts its signatures and otherwise defers to the real one.</summary>
public sealed class CountingRsa(RSA inner) : RSA
{
    private int _signatures;

    public int Signatures => Volatile.Read(ref _signatures);

    public override int KeySize
    {
        get => inner.KeySize;
        set => throw new NotSupportedException();
    }

    public override KeySizes[] LegalKeySizes => inner.LegalKeySizes;

    public override RSAParameters ExportParameters(bool includePrivateParameters) => inner.ExportParameters(includePrivateParameters);

    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException();

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
    {
        Interlocked.Increment(ref _signatures);
        return inner.SignHash(hash, hashAlgorithm, padding);
    }

    public override bool TrySignHash(ReadOnlySpan<byte> hash, Span<byte> destination, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding, out int bytesWritten)
    {
        Interlocked.Increment(ref _signatures);
        return inner.TrySignHash(hash, destination, hashAlgorithm, padding, out bytesWritten);
    }

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        inner.VerifyHash(hash, signature, hashAlgorithm, padding);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>An in-memory status reader; counts lookups; can be told to fail like a down database.</summary>
public sealed class FakeStatusReader : IRevocationStatusReader
{
    private readonly Dictionary<(Hierarchy, string), CertificateStatusInfo> _statuses = [];
    private readonly List<(Hierarchy Hierarchy, RevokedEntry Entry)> _revoked = [];

    public bool Fail { get; set; }

    public int Lookups { get; private set; }

    public void Set(Hierarchy hierarchy, string serialHex, CertificateStatusInfo status) => _statuses[(hierarchy, serialHex)] = status;

    public void AddRevoked(Hierarchy hierarchy, RevokedEntry entry)
    {
        _revoked.Add((hierarchy, entry));
        Set(hierarchy, entry.SerialHex, CertificateStatusInfo.RevokedFor(entry.RevokedAt, entry.Reason));
    }

    public Task<CertificateStatusInfo?> GetAsync(Hierarchy hierarchy, string serialHex, CancellationToken ct)
    {
        Lookups++;
        if (Fail)
        {
            throw new InvalidOperationException("database down");
        }

        return Task.FromResult(_statuses.TryGetValue((hierarchy, serialHex), out var s) ? s : null);
    }

    /// <summary>The partition of each serial, when set (like CertificateEntity.CrlShard).</summary>
    public Dictionary<string, int> Partitions { get; } = [];

    public Task<IReadOnlyList<RevokedEntry>> GetRevokedAsync(Hierarchy hierarchy, DateTimeOffset notExpiredAt, int? partition, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<RevokedEntry>>(_revoked
            .Where(r => r.Hierarchy == hierarchy && (partition is null || (Partitions.TryGetValue(r.Entry.SerialHex, out var p) && p == partition)))
            .Select(r => r.Entry).ToList());
}

/// <summary>An in-memory OcspResponses table: <see cref="Due"/> is what the next refresher pass gets.</summary>
public sealed class FakeOcspStore : Ocsp.IOcspResponseStore
{
    public List<Ocsp.OcspDue> Due { get; } = [];

    public Dictionary<string, Ocsp.StoredOcspResponse> Rows { get; } = [];

    public Task<IReadOnlyList<Ocsp.StoredOcspResponse>> ReadUpdatedSinceAsync(DateTimeOffset since, int max, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<Ocsp.StoredOcspResponse>>([.. Rows.Values.Where(r => r.UpdatedAt >= since).OrderBy(r => r.UpdatedAt).Take(max)]);

    public Task<IReadOnlyList<Ocsp.OcspDue>> FindDueAsync(Ocsp.OcspDueQuery query, CancellationToken ct)
    {
        var due = Due.ToList();
        Due.Clear();
        return Task.FromResult<IReadOnlyList<Ocsp.OcspDue>>(due);
    }

    public Task SaveAsync(Ocsp.StoredOcspResponse response, CancellationToken ct)
    {
        Rows[response.SerialHex] = response;
        return Task.CompletedTask;
    }
}

/// <summary>cRLNumbers from a counter, like the CrlStates table.</summary>
public sealed class FakeCrlNumbers : Crl.ICrlNumberStore
{
    private readonly Dictionary<(Hierarchy, int), long> _last = [];

    public Task<long> NextAsync(Hierarchy hierarchy, int partition, DateTimeOffset thisUpdate, CancellationToken ct)
    {
        var next = _last.GetValueOrDefault((hierarchy, partition)) + 1;
        _last[(hierarchy, partition)] = next;
        return Task.FromResult(next);
    }
}
