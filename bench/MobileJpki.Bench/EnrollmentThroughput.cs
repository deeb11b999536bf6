using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Bench;

/// <summary>
/// Enrollments per second through RA + CA + SA (SQLite, durable commits), next to the raw RSA-2048
/// signing rate of this machine measured in the same run.
/// </summary>
public static class EnrollmentThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 2000;
        var dir = Directory.CreateTempSubdirectory("mjpki-bench-");
        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:ConnectionString"] = $"Data Source={Path.Combine(dir.FullName, "bench.db")}",
                ["Pki:DataDirectory"] = dir.FullName,
                ["Ra:BatchSize"] = Environment.GetEnvironmentVariable("MJPKI_BENCH_BATCH") ?? "256",
            }).Build();
            var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddMobileJpki(config);

            // The bench's own SE maker, so applications can be prepared without generating keys for each one.
            using var makerKey = RSA.Create(2048);
            using var maker = MakeCa("CN=Bench SE Maker", makerKey, null);
            services.AddSingleton(sp => new ApplicationVerifier(
                sp.GetRequiredService<IRaStore>(),
                sp.GetRequiredService<CaHierarchy>().CertificateFor(Hierarchy.Signing),
                [maker],
                sp.GetRequiredService<RaOptions>(),
                sp.GetRequiredService<TimeProvider>()));
            await using var provider = services.BuildServiceProvider();
            await provider.InitializeMobileJpkiAsync();
            var clock = provider.GetRequiredService<SandboxClock>();
            var window = provider.GetRequiredService<ProcessingWindow>();
            if (!window.IsOpen(clock.GetUtcNow()))
            {
                clock.Set(window.NextOpening(clock.GetUtcNow()));
            }

            var ra = provider.GetRequiredService<RegistrationAuthority>();
            Console.WriteLine($"Preparing {count} signed applications (client side, not timed)…");
            var applications = await PrepareAsync(ra, maker, makerKey, clock, count);

            var rsaRate = MeasureRsaRate(TimeSpan.FromSeconds(3));
            Console.WriteLine($"RSA-2048 signatures/s on {Environment.ProcessorCount} cores: {rsaRate:F0}");

            if (Environment.GetEnvironmentVariable("MJPKI_BENCH_VERIFY") is not null)
            {
                var verifier = provider.GetRequiredService<ApplicationVerifier>();
                var cpu = CpuTime();
                var v = Stopwatch.StartNew();
                await Parallel.ForEachAsync(applications, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (cms, ct) => await verifier.VerifyAsync(cms, ct));
                Console.WriteLine($"verify only: {v.Elapsed.TotalSeconds:F2}s ({(CpuTime() - cpu).TotalMilliseconds * 1000 / count:F0} µs CPU per application)");
            }

            var cpuStart = CpuTime();
            var sw = Stopwatch.StartNew();
            await Parallel.ForEachAsync(applications, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (cms, ct) => await ra.AcceptAsync(cms, ct));
            var accepted = sw.Elapsed;
            var cpuAccepted = CpuTime();
            var processed = await ra.ProcessDueAsync(CancellationToken.None);
            sw.Stop();
            var cpuEnd = CpuTime();
            if (processed != count)
            {
                Console.Error.WriteLine($"expected {count} processed, got {processed}");
                return 1;
            }

            var rate = count / sw.Elapsed.TotalSeconds;
            var limit = 0.6 * rsaRate / 2;
            Console.WriteLine($"accept: {accepted.TotalSeconds:F2}s; accept+issue: {sw.Elapsed.TotalSeconds:F2}s");
            Console.WriteLine($"CPU per enrollment: accept {(cpuAccepted - cpuStart).TotalMilliseconds * 1000 / count:F0} µs, issue {(cpuEnd - cpuAccepted).TotalMilliseconds * 1000 / count:F0} µs (this process, all threads)");
            Console.WriteLine($"enrollments/s: {rate:F0} (target ≥ 0.6 × {rsaRate:F0} / 2 signatures = {limit:F0}) → {(rate >= limit ? "MET" : "NOT MET")}");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(recursive: true);
        }
    }

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static double MeasureRsaRate(TimeSpan duration)
    {
        var data = RandomNumberGenerator.GetBytes(512);
        long total = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var sw = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, _ =>
        {
            using var rsa = RSA.Create(2048);
            long local = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                local++;
            }

            Interlocked.Add(ref total, local);
        });
        return total / sw.Elapsed.TotalSeconds;
    }

    private static async Task<List<byte[]>> PrepareAsync(RegistrationAuthority ra, X509Certificate2 maker, RSA makerKey, TimeProvider clock, int count)
    {
        const int cards = 32;
        using var deviceKey = RSA.Create(2048);

        // One SE per card: the phone id is the SE's certified serial number, and a phone belongs to one person.
        var devices = Enumerable.Range(0, cards).Select(c => MakeCa($"CN=Bench SE, SERIALNUMBER=benchphone{c}", deviceKey, (maker, makerKey))).ToArray();
        var phoneKeys = Enumerable.Range(0, 8).Select(_ => RSA.Create(2048)).ToArray();
        var cardList = new List<(X509Certificate2 Cert, RSA Key)>();
        for (var i = 0; i < cards; i++)
        {
            var signKey = RSA.Create(2048);
            using var authKey = RSA.Create(2048);
            var person = new Basic4Info($"ベンチ 太郎{i}", null, Gender.Male, new DateOnly(1990, 1, 1).AddDays(i), "東京都千代田区霞が関1-1", null);
            var (_, signDer, _) = await ra.IssueCardAsync(person, signKey.ExportSubjectPublicKeyInfo(), authKey.ExportSubjectPublicKeyInfo(), CancellationToken.None);
            cardList.Add((X509CertificateLoader.LoadCertificate(signDer), signKey));
        }

        var result = new byte[count][];

        // One worker per core: OpenSSL 3.0's lock contention otherwise makes the pool inject hundreds of blocked threads.
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var nonce = RandomNumberGenerator.GetBytes(32);
            var challenge = EnrollmentApplication.AttestationChallenge(nonce);
            var keys = new List<ApplicationKey>();
            var device = devices[i % cards];
            foreach (var (kind, fid, key) in new[] { ("sign", 0x1A, phoneKeys[i % 8]), ("auth", 0x17, phoneKeys[(i + 1) % 8]) })
            {
                var req = new CertificateRequest("CN=key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                req.CertificateExtensions.Add(new X509Extension(Oids.KeyAttestation, new KeyAttestationData(challenge, $"benchphone{i % cards}", fid, KeyOrigin.GeneratedInsideSecureElement).Encode(), false));
                var now = clock.GetUtcNow();
                using var att = req.Create(device.SubjectName, X509SignatureGenerator.CreateForRSA(deviceKey, RSASignaturePadding.Pkcs1), now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(8));
                keys.Add(new ApplicationKey { Kind = kind, PublicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), Attestation = [Convert.ToBase64String(att.RawData), Convert.ToBase64String(device.RawData)] });
            }

            var content = new EnrollmentApplication
            {
                Nonce = Convert.ToBase64String(nonce),
                CreatedAt = clock.GetUtcNow(),
                Device = new DeviceFacts { PhoneId = $"benchphone{i % cards}", Model = "pixel-8", Os = "Android 14" },
                DeviceSecretHash = Convert.ToBase64String(SHA256.HashData(nonce)),
                Keys = keys,
            };
            var (cert, signKey) = cardList[i % cards];
            var cms = new SignedCms(new ContentInfo(content.ToJsonBytes()));
            cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, cert, signKey));
            result[i] = cms.Encode();
        });
        foreach (var device in devices)
        {
            device.Dispose();
        }

        return [.. result];
    }

    private static X509Certificate2 MakeCa(string name, RSA key, (X509Certificate2 Cert, RSA Key)? issuer)
    {
        var req = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var notBefore = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var notAfter = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return issuer is { } i
            ? req.Create(i.Cert.SubjectName, X509SignatureGenerator.CreateForRSA(i.Key, RSASignaturePadding.Pkcs1), notBefore, notAfter, RandomNumberGenerator.GetBytes(8))
            : req.CreateSelfSigned(notBefore, notAfter);
    }
}
