using System.Collections.Concurrent;
using MobileJpki.Core;

namespace MobileJpki.Revocation.Crl;

/// <summary>A signed CRL and its window.</summary>
public sealed record CrlSnapshot(byte[] Der, long Number, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, int Entries);

/// <summary>
/// Serves each CA's complete CRL and its partitions from memory, rebuilding one (one reader query, one number from
/// the database, one signature) when it is older than CrlRefreshAfter, was invalidated, or the clock went back before
/// its thisUpdate. One build at a time per CRL; concurrent requests wait for it.
/// </summary>
/// <remarks>
/// cRLNumber comes from <see cref="ICrlNumberStore"/> (table CrlStates): it grows across restarts, nodes and a
/// sandbox clock set back. Partition <c>n</c> holds the revoked certificates whose CRL distribution point names
/// <c>/crl/{h}/{n}.crl</c> and says so in its issuingDistributionPoint; the complete CRL holds all of them.
/// </remarks>
public sealed class CrlPublisher
{
    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly ConcurrentDictionary<(Hierarchy, int), Slot> _slots = new();
    private readonly IRevocationStatusReader _reader;
    private readonly ICrlNumberStore _numbers;
    private readonly TimeProvider _time;
    private readonly RevocationOptions _options;

    public CrlPublisher(IEnumerable<RevocationIssuer> issuers, IRevocationStatusReader reader, ICrlNumberStore numbers, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _reader = reader;
        _numbers = numbers;
        _time = time;
        _options = options;
    }

    /// <summary>The next request for any of this CA's CRLs rebuilds it.</summary>
    public void Invalidate(Hierarchy hierarchy)
    {
        foreach (var (key, slot) in _slots)
        {
            if (key.Item1 == hierarchy)
            {
                slot.Stale = true;
            }
        }
    }

    /// <summary>The complete CRL of the CA.</summary>
    public Task<CrlSnapshot> GetAsync(Hierarchy hierarchy, CancellationToken ct) => GetAsync(hierarchy, null, ct);

    /// <summary>The complete CRL (<paramref name="partition"/> null) or one partition (0 ≤ n &lt; MaxCrlPartitions).</summary>
    public async Task<CrlSnapshot> GetAsync(Hierarchy hierarchy, int? partition, CancellationToken ct)
    {
        if (partition is < 0 || partition >= _options.MaxCrlPartitions)
        {
            throw new ArgumentOutOfRangeException(nameof(partition));
        }

        var issuer = _issuers[hierarchy];
        var slot = _slots.GetOrAdd((hierarchy, partition ?? -1), _ => new Slot());
        if (Fresh(slot))
        {
            return slot.Current!;
        }

        await slot.Gate.WaitAsync(ct);
        try
        {
            if (Fresh(slot))
            {
                return slot.Current!;
            }

            slot.Stale = false;
            var now = Der.ToSeconds(_time.GetUtcNow());
            var entries = await _reader.GetRevokedAsync(hierarchy, now, partition, ct);
            var number = await _numbers.NextAsync(hierarchy, partition ?? -1, now, ct);
            var nextUpdate = now + _options.CrlValidity;
            var url = partition is { } n ? issuer.CrlPartitionUrl(n) : null;
            var der = CrlBuilder.Build(issuer, entries, number, now, nextUpdate, url);
            slot.Current = new CrlSnapshot(der, number, now, nextUpdate, entries.Count);
            return slot.Current;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private bool Fresh(Slot slot)
    {
        var current = slot.Current;
        var now = _time.GetUtcNow();
        return current is not null && !slot.Stale && now >= current.ThisUpdate && now - current.ThisUpdate < _options.CrlRefreshAfter;
    }

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile CrlSnapshot? Current;

        public volatile bool Stale;
    }
}
