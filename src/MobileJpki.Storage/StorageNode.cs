namespace MobileJpki.Storage;

/// <summary>
/// This process among the nodes that share one database (docs/operations.md, "Scaling out"): the id it stamps on the
/// applications it claims, and how long other nodes respect such a claim before taking the work back.
/// </summary>
/// <param name="Id">Unique per running node. A stable id (a pod or host name) lets a restarted node take back its own claims at once.</param>
/// <param name="ClaimLease">After this long a claim counts as abandoned (its node crashed) and a starting node requeues it.</param>
/// <param name="WallClock">Real time for claims, not the sandbox clock, which each node may have moved differently.</param>
public sealed record StorageNode(string Id, TimeSpan ClaimLease, TimeProvider WallClock)
{
    public static readonly TimeSpan DefaultClaimLease = TimeSpan.FromMinutes(5);

    /// <summary>A process-unique id (host and process id) with the default lease, on the system clock.</summary>
    public static StorageNode CreateDefault() => new(DefaultId(), DefaultClaimLease, TimeProvider.System);

    public static string DefaultId() => $"{Environment.MachineName}:{Environment.ProcessId}";
}
