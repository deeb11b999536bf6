using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Bench;

/// <summary>One certificate's CA work: Prepare (build + lint, no key use) and Issue (Prepare + one RSA-2048 signature).</summary>
/// <remarks>Compare Issue with <see cref="MicroBenchmarks.RsaSign"/>: everything but the signature should be a small part of it.</remarks>
[ShortRunJob]
[MemoryDiagnoser]
public class IssuanceBenchmarks
{
    private DirectoryInfo _directory = null!;
    private CaHierarchy _ca = null!;
    private CertificateIssuer _issuer = null!;
    private IssueRequest _signing = null!;
    private IssueRequest _auth = null!;
    private PreparedCertificate _prepared = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("mjpki-issuance-bench-");
        var options = new PkiOptions { DataDirectory = _directory.FullName, BaseUrl = "http://ca.example.test:5080" };
        _ca = CaHierarchy.LoadOrCreate(options, SoftwareKeyProvider.InDataDirectory(options), TimeProvider.System);
        _issuer = new CertificateIssuer(_ca, TimeProvider.System);

        using var subject = RSA.Create(2048);
        var spki = subject.ExportSubjectPublicKeyInfo();
        var person = new Basic4Info("山田 太郎", "YAMADA TARO", Gender.Male, new DateOnly(1990, 6, 15), "東京都千代田区千代田1番1号", "1-1 Chiyoda, Chiyoda-ku, Tokyo");
        var cap = TimeProvider.System.GetUtcNow().AddYears(3);
        _signing = new IssueRequest(CertificateKind.PhoneSigning, spki, person, person.BirthDate, cap);
        _auth = new IssueRequest(CertificateKind.PhoneAuth, spki, null, person.BirthDate, cap);
        _prepared = _issuer.Prepare(_signing);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ca.Dispose();
        _directory.Delete(recursive: true);
    }

    [Benchmark(Description = "Prepare (phone signing)")]
    public PreparedCertificate PrepareSigning() => _issuer.Prepare(_signing);

    [Benchmark(Description = "Prepare (phone auth)")]
    public PreparedCertificate PrepareAuth() => _issuer.Prepare(_auth);

    [Benchmark(Description = "Sign (phone signing)")]
    public byte[] Sign() => _issuer.Sign(_prepared);

    [Benchmark(Description = "Issue (phone signing)")]
    public byte[] IssueSigning() => _issuer.Issue(_signing);
}
