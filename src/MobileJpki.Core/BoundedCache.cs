using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MobileJpki.Core;

/// <summary>The SHA-256 of some bytes, as a dictionary key.</summary>
public readonly record struct Sha256Key(ulong A, ulong B, ulong C, ulong D)
{
    public static Sha256Key Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return new Sha256Key(
            BinaryPrimitives.ReadUInt64LittleEndian(hash),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
    }
}

/// <summary>
/// A thread-safe cache of immutable facts with a hard size limit: when full, a slice of arbitrary entries is
/// dropped. Evicted values are not disposed (another thread may still be using them); the GC reclaims them.
/// </summary>
public sealed class BoundedCache<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();
    private readonly int _capacity;

    public BoundedCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Count => _entries.Count;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    /// <summary>Adds the value unless the key is already present; returns the value that is cached.</summary>
    public TValue GetOrAdd(TKey key, TValue value)
    {
        if (_entries.TryGetValue(key, out var existing))
        {
            return existing;
        }

        if (_entries.Count >= _capacity)
        {
            Evict();
        }

        return _entries.GetOrAdd(key, value);
    }

    private void Evict()
    {
        // Drop about a tenth (at least one): cheap, and no bookkeeping on the hit path.
        var toDrop = Math.Max(1, _capacity / 10);
        foreach (var key in _entries.Keys)
        {
            if (toDrop-- <= 0)
            {
                break;
            }

            _entries.TryRemove(key, out _);
        }
    }
}
