using MobileJpki.Core;

namespace MobileJpki.Revocation.Crl;

/// <summary>A signed CRL and its window.</summary>
public sealed record CrlSnapshot(byte[] Der, long Number, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, int Entries);

/// <summary>
/// Serves each hierarchy's CRL from memory, rebuilding it (one reader query, one signature) when it is older than
/// CrlRefreshAfter, was invalidated, or the clock went back before its thisUpdate. One build at a time per hierarchy;
/// concurrent requests wait for it.
/// </summary>
/// <remarks>
/// cRLNumber: thisUpdate in Unix seconds, or one more than the last number if that is not larger; so it grows within
/// a process and across restarts while the clock moves forward. A number kept in the database (needed when the
/// sandbox clock is set back, or with several nodes) is a later step.
/// </remarks>
public sealed class CrlPublisher
{
    private readonly Dictionary<Hierarchy, Slot> _slots;
    private readonly IRevocationStatusReader _reader;
    private readonly TimeProvider _time;
    private readonly RevocationOptions _options;

    public CrlPublisher(IEnumerable<RevocationIssuer> issuers, IRevocationStatusReader reader, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _slots = issuers.ToDictionary(i => i.Hierarchy, i => new Slot(i));
        _reader = reader;
        _time = time;
        _options = options;
    }

    /// <summary>The next request for this hierarchy's CRL rebuilds it.</summary>
    public void Invalidate(Hierarchy hierarchy)
    {
        if (_slots.TryGetValue(hierarchy, out var slot))
        {
            slot.Stale = true;
        }
    }

    public async Task<CrlSnapshot> GetAsync(Hierarchy hierarchy, CancellationToken ct)
    {
        var slot = _slots[hierarchy];
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
            var entries = await _reader.GetRevokedAsync(hierarchy, now, ct);
            var number = Math.Max(now.ToUnixTimeSeconds(), (slot.Current?.Number ?? 0) + 1);
            var nextUpdate = now + _options.CrlValidity;
            var der = CrlBuilder.Build(slot.Issuer, entries, number, now, nextUpdate);
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

    private sealed class Slot(RevocationIssuer issuer)
    {
        public RevocationIssuer Issuer { get; } = issuer;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile CrlSnapshot? Current;

        public volatile bool Stale;
    }
}
