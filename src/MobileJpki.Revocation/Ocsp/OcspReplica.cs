using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>A pre-signed response ready to write: the bytes and the RFC 5019 §6 HTTP header values computed once.</summary>
public sealed class OcspReplicaEntry
{
    internal OcspReplicaEntry(StoredOcspResponse stored, byte[] certId)
    {
        Stored = stored;
        CertId = certId;
        ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(stored.Der).AsSpan(0, 12))}\"";
        LastModified = stored.ThisUpdate.ToString("r", CultureInfo.InvariantCulture);
        Expires = stored.NextUpdate.ToString("r", CultureInfo.InvariantCulture);
    }

    public StoredOcspResponse Stored { get; }

    public byte[] Der => Stored.Der;

    public DateTimeOffset ThisUpdate => Stored.ThisUpdate;

    public DateTimeOffset NextUpdate => Stored.NextUpdate;

    /// <summary>The SHA-1 CertID inside the response: a request is served this entry only if it sent exactly these bytes.</summary>
    public byte[] CertId { get; }

    /// <summary>Strong validator: a hash of the response bytes.</summary>
    public string ETag { get; }

    public string LastModified { get; }

    public string Expires { get; }
}

/// <summary>
/// This node's in-memory copy of the shared OcspResponses table (docs/revocation.md, "Pre-signed responses"). The
/// request path only reads it (a dictionary lookup by serial, without allocating); <see cref="PollAsync"/> brings in
/// rows written by any node since the last poll, by their UpdatedAt, re-reading an overlap window so that rows whose
/// transaction committed late, or whose writer's clock is a little behind, are not missed.
/// </summary>
public sealed class OcspReplica
{
    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly ConcurrentDictionary<string, OcspReplicaEntry>[] _entries;
    private readonly ConcurrentDictionary<string, OcspReplicaEntry>.AlternateLookup<ReadOnlySpan<char>>[] _lookups;
    private readonly RevocationOptions _options;
    private readonly TimeProvider _wallClock;
    private DateTimeOffset? _watermark;

    /// <param name="wallClock">The real clock UpdatedAt is written by (the sandbox clock can be set back; row order must not).</param>
    public OcspReplica(IEnumerable<RevocationIssuer> issuers, RevocationOptions options, TimeProvider wallClock)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _options = options;
        _wallClock = wallClock;
        var count = Enum.GetValues<Hierarchy>().Max(h => (int)h) + 1;
        _entries = new ConcurrentDictionary<string, OcspReplicaEntry>[count];
        _lookups = new ConcurrentDictionary<string, OcspReplicaEntry>.AlternateLookup<ReadOnlySpan<char>>[count];
        for (var i = 0; i < count; i++)
        {
            _entries[i] = new ConcurrentDictionary<string, OcspReplicaEntry>(StringComparer.Ordinal);
            _lookups[i] = _entries[i].GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    /// <summary>
    /// Raised (on the polling or refreshing thread) when a response arrives whose certificate status differs from the
    /// one held, or a first response for a certificate that is not good: the CRLs of that CA are out of date.
    /// </summary>
    public event Action<Hierarchy>? StatusChanged;

    /// <summary>Responses held.</summary>
    public int Count => _entries.Sum(e => e.Count);

    /// <summary>True after the first complete poll.</summary>
    public bool Loaded => _watermark is not null;

    /// <summary>When the last poll finished (wall clock); the replica is current up to about then.</summary>
    public DateTimeOffset? LastPolledAt { get; private set; }

    /// <summary>The held response for a serial (lowercase hex) if it is still within its validity at <paramref name="now"/>.</summary>
    public bool TryGet(Hierarchy hierarchy, ReadOnlySpan<char> serialHex, DateTimeOffset now, out OcspReplicaEntry entry)
    {
        if ((uint)hierarchy < (uint)_lookups.Length && _lookups[(int)hierarchy].TryGetValue(serialHex, out entry!)
            && now < entry.NextUpdate && now >= entry.ThisUpdate - _options.OcspClockSkew)
        {
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>Adds or replaces a response (the same bytes again change nothing).</summary>
    public void Apply(StoredOcspResponse stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!_issuers.TryGetValue(stored.Hierarchy, out var issuer))
        {
            return;
        }

        var map = _entries[(int)stored.Hierarchy];
        // The table holds the latest write; a poll that raced this node's own write is corrected by the next poll.
        if (map.TryGetValue(stored.SerialHex, out var held) && held.Der.AsSpan().SequenceEqual(stored.Der))
        {
            return;
        }

        map[stored.SerialHex] = new OcspReplicaEntry(stored, held?.CertId ?? OcspResponseWriter.Sha1CertId(issuer, stored.SerialHex));
        if (held is null ? stored.CertStatus != OcspCertStatus.Good : held.Stored.CertStatus != stored.CertStatus)
        {
            StatusChanged?.Invoke(stored.Hierarchy);
        }
    }

    /// <summary>Reads the rows written since the last poll (all of them the first time) into memory; returns how many.</summary>
    public async Task<int> PollAsync(IOcspResponseStore store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        // The floor is the Unix epoch, not MinValue: the watermark of an empty table minus the overlap must stay a valid instant.
        var since = _watermark is { } w && w - DateTimeOffset.UnixEpoch > _options.OcspReplicaOverlap ? w - _options.OcspReplicaOverlap : DateTimeOffset.UnixEpoch;
        var total = 0;
        var newest = _watermark ?? DateTimeOffset.UnixEpoch;
        while (true)
        {
            var rows = await store.ReadUpdatedSinceAsync(since, _options.OcspPollBatch, ct);
            foreach (var row in rows)
            {
                Apply(row);
                newest = row.UpdatedAt > newest ? row.UpdatedAt : newest;
            }

            total += rows.Count;
            if (rows.Count < _options.OcspPollBatch)
            {
                break;
            }

            // A full batch: continue after its last row. Rows sharing that instant are read again, harmlessly.
            var last = rows[^1].UpdatedAt;
            if (last == since)
            {
                // More than a batch written within one millisecond: step past it rather than loop forever.
                since = last + TimeSpan.FromMilliseconds(1);
                continue;
            }

            since = last;
        }

        _watermark = newest;
        LastPolledAt = _wallClock.GetUtcNow();
        return total;
    }
}
