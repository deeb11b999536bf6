using BenchmarkDotNet.Running;
using MobileJpki.Bench;

// `enroll` is the end-to-end throughput command (docs/benchmarks.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "enroll")
{
    return await EnrollmentThroughput.RunAsync(args[1..]);
}

// `apdu` measures the card's APDU round trip through pcscd and the vpcd bridge (docs/benchmarks.md).
if (args.Length > 0 && args[0] == "apdu")
{
    return await ApduLatency.RunAsync(args[1..]);
}

// `crl` times building and signing a CRL of 1,000,000 entries (docs/benchmarks.md).
if (args.Length > 0 && args[0] == "crl")
{
    return CrlBenchmark.Run(args[1..]);
}

// `login` measures portal logins per second over loopback next to a Kestrel hello-world (docs/benchmarks.md).
if (args.Length > 0 && args[0] == "login")
{
    return await LoginBenchmark.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(EnrollmentThroughput).Assembly).Run(args);
return 0;
