using BenchmarkDotNet.Running;
using MobileJpki.Bench;

// `enroll` is the end-to-end throughput command (docs/benchmarks.md); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "enroll")
{
    return await EnrollmentThroughput.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(EnrollmentThroughput).Assembly).Run(args);
return 0;
