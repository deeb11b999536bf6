using System.Diagnostics;
using System.Diagnostics.Metrics;
using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>
/// Metrics and traces of the registration authority (System.Diagnostics; the host exports them with
/// OpenTelemetry). Tags carry kinds and outcomes only, never personal data.
/// </summary>
public static class RaTelemetry
{
    public const string Name = "MobileJpki.Ra";

    public static readonly ActivitySource Activities = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("mjpki.applications.accepted", description: "Applications accepted into the queue");

    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("mjpki.applications.refused", description: "Applications refused at intake, by error code");

    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("mjpki.applications.rejected", description: "Queued applications rejected at issue time");

    private static readonly Counter<long> Issued = Meter.CreateCounter<long>("mjpki.certificates.issued", description: "Certificates issued, by kind");

    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    };

    private static readonly Histogram<double> IssuanceLatency = Meter.CreateHistogram(
        "mjpki.issuance.latency", unit: "s", description: "From the moment an application became due to its certificates being issued", tags: null, advice: SecondsBuckets);

    private static readonly Histogram<double> BatchDuration = Meter.CreateHistogram(
        "mjpki.issuance.batch.duration", unit: "s", description: "Time to issue one batch (plan, record, sign, complete)", tags: null, advice: SecondsBuckets);

    private static long _queueDepth;

    static RaTelemetry()
    {
        Meter.CreateObservableGauge("mjpki.queue.depth", () => Interlocked.Read(ref _queueDepth), description: "Applications queued or being processed, as last seen by the worker");
    }

    public static void ApplicationAccepted() => Accepted.Add(1);

    public static void ApplicationRefused(string code) => Refused.Add(1, new KeyValuePair<string, object?>("code", code));

    public static void ApplicationRejected() => Rejected.Add(1);

    public static void CertificateIssued(CertificateKind kind) => Issued.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));

    public static void ApplicationIssued(TimeSpan sinceDue) => IssuanceLatency.Record(Math.Max(0, sinceDue.TotalSeconds));

    public static void BatchIssued(TimeSpan duration) => BatchDuration.Record(duration.TotalSeconds);

    public static void QueueDepth(long depth) => Interlocked.Exchange(ref _queueDepth, depth);
}
