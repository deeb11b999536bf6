namespace MobileJpki.Ra;

/// <summary>
/// Claims on applications are leases (docs/issuance-cycle.md, "Recovery"): the node working on a batch renews them,
/// and a claim whose lease ran out is taken back by any running node, so no application waits for a restart.
/// </summary>
public interface IClaimLeases
{
    /// <summary>
    /// Renews this node's claims on these applications and returns the ones it still holds (in Processing, claimed by
    /// this node). An application missing from the answer was taken over by another node: its outcome must not be stored.
    /// </summary>
    Task<IReadOnlyCollection<Guid>> RenewClaimsAsync(IReadOnlyCollection<Guid> applicationIds, CancellationToken ct);

    /// <summary>Returns claims older than the lease (any node's) to the queue, revoking what they had signed; returns how many.</summary>
    Task<int> RequeueExpiredClaimsAsync(CancellationToken ct);

    /// <summary>Revokes (reason "abandoned") certificates signed for a claim that was lost before its completion.</summary>
    Task AbandonAsync(IReadOnlyCollection<string> serials, CancellationToken ct);
}
