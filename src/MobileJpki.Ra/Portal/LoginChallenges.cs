using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace MobileJpki.Ra.Portal;

/// <summary>Keys shared by every node of one database (created once, race-safely, by whichever node asks first).</summary>
public interface IServiceKeyStore
{
    /// <summary>The key of this name; the first caller on any node creates it with <paramref name="length"/> random bytes.</summary>
    Task<byte[]> GetOrCreateAsync(string name, int length, CancellationToken ct);
}

/// <summary>
/// Login challenges that need no database write: the id itself carries its expiry and a random part, MAC-ed
/// (HMAC-SHA256, truncated to 128 bits) together with the purpose and subject it was handed to, under a key that
/// every node of the database shares. Single use is not decided here: the login records the used id (unique key) in
/// the same commit as its session (<see cref="ILoginWriter"/>); this node also remembers the ids it saw used until
/// they expire, so a replay here is refused before any cryptography or database work.
/// </summary>
public sealed class LoginChallenges(IServiceKeyStore keys, TimeProvider time)
{
    /// <summary>The name of the shared MAC key in the database.</summary>
    public const string KeyName = "login-challenge-mac";

    private const byte Version = 1;
    private const int RandomLength = 16;
    private const int MacLength = 16;
    private const int BodyLength = 1 + 8 + RandomLength;

    /// <summary>41 bytes → 55 base64url characters (the protocol allows challenge ids up to 64).</summary>
    private const int IdLength = BodyLength + MacLength;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("mjpki-login-challenge-v1");
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private readonly ConcurrentDictionary<UInt128, long> _usedHere = new();
    private byte[]? _key;
    private long _nextSweepMs;

    /// <summary>How many used ids this node remembers (until they expire).</summary>
    public int RememberedCount => _usedHere.Count;

    /// <summary>A fresh challenge id for this purpose and subject, valid until <paramref name="expiresAt"/> (millisecond precision).</summary>
    public async Task<string> IssueAsync(string purpose, string subject, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var key = await KeyAsync(ct);
        var id = new byte[IdLength];
        id[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(1, 8), expiresAt.ToUnixTimeMilliseconds());
        RandomNumberGenerator.Fill(id.AsSpan(9, RandomLength));
        Mac(key, purpose, subject, id.AsSpan(0, BodyLength)).CopyTo(id.AsSpan(BodyLength));
        return IdText.Encode(id);
    }

    /// <summary>
    /// The expiry of a challenge made by us for exactly this purpose and subject, or null (malformed, altered, forged,
    /// or another subject's or purpose's: all look the same). Does not look at expiry or use.
    /// </summary>
    public async Task<DateTimeOffset?> OpenAsync(string id, string purpose, string subject, CancellationToken ct)
    {
        var bytes = IdText.TryDecode(id);
        if (bytes is not { Length: IdLength } || bytes[0] != Version)
        {
            return null;
        }

        var key = await KeyAsync(ct);
        var expected = Mac(key, purpose, subject, bytes.AsSpan(0, BodyLength));
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(BodyLength)))
        {
            return null;
        }

        var ms = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1, 8));
        return ms is < 0 or > 253402300799999 ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    /// <summary>Whether this node already saw this (authentic) challenge used.</summary>
    public bool IsUsedHere(string id) => Tag(id) is { } tag && _usedHere.ContainsKey(tag);

    /// <summary>Remembers a used challenge on this node until it expires (it is refused by its expiry after that).</summary>
    public void MarkUsed(string id, DateTimeOffset expiresAt)
    {
        if (Tag(id) is not { } tag)
        {
            return;
        }

        _usedHere[tag] = expiresAt.ToUnixTimeMilliseconds();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = Interlocked.Read(ref _nextSweepMs);
        if (now >= due && Interlocked.CompareExchange(ref _nextSweepMs, now + (long)SweepEvery.TotalMilliseconds, due) == due)
        {
            foreach (var (k, expires) in _usedHere)
            {
                if (expires <= now)
                {
                    _usedHere.TryRemove(k, out _);
                }
            }
        }
    }

    private static byte[] Mac(byte[] key, string purpose, string subject, ReadOnlySpan<byte> body)
    {
        // Lengths are prefixed so that no two (purpose, subject) pairs give the same MAC input.
        var p = Encoding.UTF8.GetBytes(purpose);
        var s = Encoding.UTF8.GetBytes(subject);
        var input = new byte[Domain.Length + 4 + p.Length + 4 + s.Length + body.Length];
        var span = input.AsSpan();
        Domain.CopyTo(span);
        span = span[Domain.Length..];
        BinaryPrimitives.WriteInt32BigEndian(span, p.Length);
        p.CopyTo(span[4..]);
        span = span[(4 + p.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, s.Length);
        s.CopyTo(span[4..]);
        body.CopyTo(span[(4 + s.Length)..]);
        return HMACSHA256.HashData(key, input)[..MacLength];
    }

    /// <summary>The MAC part of a well-formed id: unique per challenge and unforgeable, so it keys the used set.</summary>
    private static UInt128? Tag(string id)
    {
        var bytes = IdText.TryDecode(id);
        return bytes is { Length: IdLength } ? BinaryPrimitives.ReadUInt128BigEndian(bytes.AsSpan(BodyLength)) : null;
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _key) is { } key)
        {
            return key;
        }

        await _keyGate.WaitAsync(ct);
        try
        {
            _key ??= await keys.GetOrCreateAsync(KeyName, 32, ct);
            return _key;
        }
        finally
        {
            _keyGate.Release();
        }
    }

    private static class IdText
    {
        public static string Encode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

        public static byte[]? TryDecode(string text)
        {
            if (text.Length is 0 or > 64)
            {
                return null;
            }

            var b64 = text.Replace('-', '+').Replace('_', '/');
            b64 += (b64.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
            var buffer = new byte[48];
            if (!Convert.TryFromBase64String(b64, buffer, out var n))
            {
                return null;
            }

            // Only the canonical spelling: otherwise one challenge could be written several ways (the unused low bits
            // of the last character), and each spelling would be a different key in the used-challenge table.
            var bytes = buffer[..n];
            return string.Equals(Encode(bytes), text, StringComparison.Ordinal) ? bytes : null;
        }
    }
}
