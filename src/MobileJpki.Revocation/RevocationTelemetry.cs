using System.Diagnostics.Metrics;
using MobileJpki.Core;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Revocation;

/// <summary>Metrics of the revocation service (exported by the host with OpenTelemetry).</summary>
public static class RevocationTelemetry
{
    public const string Name = "MobileJpki.Revocation";

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> OcspRequests = Meter.CreateCounter<long>("mjpki.ocsp.requests", description: "OCSP requests answered, by hierarchy, response status and whether a pre-signed response served it");

    internal static void OcspAnswered(Hierarchy hierarchy, OcspResponseStatus status, bool preSigned) => OcspRequests.Add(
        1,
        new KeyValuePair<string, object?>("hierarchy", hierarchy.WireName()),
        new KeyValuePair<string, object?>("status", status.ToString()),
        new KeyValuePair<string, object?>("presigned", preSigned));
}
