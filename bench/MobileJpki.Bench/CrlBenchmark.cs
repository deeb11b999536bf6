using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Revocation;
using MobileJpki.Revocation.Crl;

namespace MobileJpki.Bench;

/// <summary>
/// `crl [entries] [runs]`: time to build and sign one CRL of N revoked entries (default 1,000,000) with an RSA-2048
/// software key, entries already in memory (the database read is not included). docs/benchmarks.md, "CRL of 1,000,000 entries".
/// </summary>
public static class CrlBenchmark
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;

        var now = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=CRL bench CA, O=JPKI Sandbox, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var issuer = new RevocationIssuer(Hierarchy.Signing, certificate, key);

        // Serials like ours (16 random bytes, top bit clear) and the two reasons the RA records today, plus none.
        var reasons = new[] { "superseded", "device-changed", null };
        var entries = new RevokedEntry[count];
        Span<byte> serial = stackalloc byte[16];
        for (var i = 0; i < count; i++)
        {
            RandomNumberGenerator.Fill(serial);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
            entries[i] = new RevokedEntry(Convert.ToHexStringLower(serial), now.AddSeconds(-i), reasons[i % 3]);
        }

        CrlBuilder.Build(issuer, entries[..Math.Min(count, 1000)], 1, now, now.AddDays(1)); // warm-up (JIT)
        var times = new List<double>();
        var size = 0;
        for (var run = 0; run < runs; run++)
        {
            var watch = Stopwatch.StartNew();
            var der = CrlBuilder.Build(issuer, entries, run + 2, now, now.AddDays(1));
            watch.Stop();
            size = der.Length;
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"CRL of {count:N0} entries: {size / 1e6:F1} MB; build+sign min {times[0]:F0} ms, median {times[times.Count / 2]:F0} ms, max {times[^1]:F0} ms over {runs} runs ({Environment.ProcessorCount} cores)");
        return 0;
    }
}
