using MobileJpki.Core;

namespace MobileJpki.Revocation.Crl;

/// <summary>Hands out cRLNumbers (table CrlStates), owned by this project and implemented by the SA.</summary>
public interface ICrlNumberStore
{
    /// <summary>
    /// The next number for this CA's CRL (<paramref name="partition"/> −1: the complete CRL), larger than every number
    /// handed out before by any node, whatever the clock says; records <paramref name="thisUpdate"/> with it.
    /// </summary>
    Task<long> NextAsync(Hierarchy hierarchy, int partition, DateTimeOffset thisUpdate, CancellationToken ct);
}
