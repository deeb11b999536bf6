using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Audit;

/// <summary>One stored link of the audit chain, as the server returns it and <c>mjpki audit verify</c> checks it.</summary>
public sealed record AuditRecord(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] string? Target,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("previousHash")] string PreviousHash,
    [property: JsonPropertyName("hash")] string Hash);

/// <summary>The result of checking a chain: OK with its length and head, or the first broken entry and why.</summary>
public sealed record AuditVerification(bool Ok, long Count, string HeadHash, long? BrokenSequence, string? Problem);

/// <summary>
/// The audit chain's one hash rule, shared by the writer (storage) and every verifier (server, CLI), so they cannot
/// drift apart (docs/operations.md, "Hotline and audit log").
/// </summary>
/// <remarks>
/// Hash = SHA-256( "mjpki-audit-v1" ‖ previous hash (32 bytes) ‖ sequence (int64 BE) ‖ at (Unix ms, int64 BE) ‖
/// each text field as presence byte, UTF-8 length (int32 BE) and bytes ). Length prefixes make the encoding
/// unambiguous: ("ab","c") and ("a","bc") hash differently, and null differs from "".
/// </remarks>
public static class AuditChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string GenesisHash = new('0', 64);

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("mjpki-audit-v1");

    /// <summary>The time as stored and hashed: whole milliseconds, UTC (both databases keep that exactly).</summary>
    public static DateTimeOffset Normalize(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    /// <summary>Lowercase hex SHA-256 of the entry's canonical encoding chained to <paramref name="previousHash"/>.</summary>
    public static string ComputeHash(string previousHash, long sequence, DateTimeOffset at, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (previousHash is null || previousHash.Length != 64)
        {
            throw new ArgumentException("The previous hash must be 64 hex digits.", nameof(previousHash));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Domain);
        hash.AppendData(Convert.FromHexString(previousHash));
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, at.ToUnixTimeMilliseconds());
        hash.AppendData(number);
        foreach (var field in new[] { e.Actor, e.Role, e.Action, e.Target, e.Reason, e.Source, e.Outcome })
        {
            AppendField(hash, field);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The hash <paramref name="record"/> should carry, recomputed from its fields.</summary>
    public static string ComputeHash(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ComputeHash(record.PreviousHash, record.Sequence, record.At, ToEvent(record));
    }

    /// <summary>
    /// Walks the chain from sequence 1: each entry must follow the previous without a gap, link to its hash, and
    /// hash to what it claims. Stops at the first entry that does not.
    /// </summary>
    public static AuditVerification Verify(IEnumerable<AuditRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var previousHash = GenesisHash;
        var expected = 1L;
        var count = 0L;
        foreach (var r in records)
        {
            if (r.Sequence != expected)
            {
                var problem = r.Sequence > expected
                    ? $"entry {expected} is missing (gap before {r.Sequence}) / 監査ログの {expected} 番が欠落しています"
                    : $"entry {r.Sequence} is out of order or repeated after {expected - 1} / 監査ログの順序が不正です";
                return new AuditVerification(false, count, previousHash, expected, problem);
            }

            if (!string.Equals(r.PreviousHash, previousHash, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, previousHash, r.Sequence, $"entry {r.Sequence} does not link to the hash of entry {r.Sequence - 1} / 前のエントリのハッシュと一致しません");
            }

            string actual;
            try
            {
                actual = ComputeHash(r);
            }
            catch (FormatException)
            {
                return new AuditVerification(false, count, previousHash, r.Sequence, $"entry {r.Sequence} has a malformed previous hash / ハッシュの形式が不正です");
            }

            if (!string.Equals(actual, r.Hash, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, previousHash, r.Sequence, $"entry {r.Sequence} was altered: its fields do not hash to its stored hash / 内容が改ざんされています");
            }

            previousHash = r.Hash;
            expected++;
            count++;
        }

        return new AuditVerification(true, count, previousHash, null, null);
    }

    /// <summary>
    /// <see cref="Verify(IEnumerable{AuditRecord})"/>, then checks the log still holds a head seen before: entry
    /// <paramref name="sequence"/> with hash <paramref name="headHash"/> (a checkpoint), or, when the sequence is not
    /// known, some entry with that hash. Fails on a cut tail (naming the missing entries) and on a rewritten head.
    /// </summary>
    public static AuditVerification Verify(IReadOnlyList<AuditRecord> records, long? sequence, string headHash)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(headHash);
        var chain = Verify(records);
        if (!chain.Ok)
        {
            return chain;
        }

        var count = chain.Count;
        if (sequence is not { } s)
        {
            return string.Equals(headHash, GenesisHash, StringComparison.Ordinal) || records.Any(r => string.Equals(r.Hash, headHash, StringComparison.Ordinal))
                ? chain
                : chain with
                {
                    Ok = false,
                    BrokenSequence = count + 1,
                    Problem = $"head {headHash} is not in the log (now {count} entries, head {chain.HeadHash}): entries after it were cut or the log was rewritten / 記録した先頭が監査ログにありません（末尾の削除または改ざん）",
                };
        }

        ArgumentOutOfRangeException.ThrowIfNegative(s, nameof(sequence));
        if (s > count)
        {
            var missing = s == count + 1 ? $"entry {s} missing" : $"entries {count + 1}–{s} missing";
            return chain with
            {
                Ok = false,
                BrokenSequence = count + 1,
                Problem = $"{missing} after sequence {count}: the log was cut below the checkpoint's head / 監査ログの {count + 1}～{s} 番が末尾から削除されています",
            };
        }

        var anchored = s == 0 ? GenesisHash : records[(int)(s - 1)].Hash;
        return string.Equals(anchored, headHash, StringComparison.Ordinal)
            ? chain
            : chain with
            {
                Ok = false,
                BrokenSequence = s,
                Problem = $"entry {s} was rewritten: its hash {anchored} is not the checkpoint's head {headHash} / チェックポイントの先頭 {s} 番が書き換えられています",
            };
    }

    private static AuditEvent ToEvent(AuditRecord r) => new(r.Actor, r.Role, r.Action, r.Target, r.Reason, r.Source, r.Outcome);

    private static void AppendField(IncrementalHash hash, string? value)
    {
        Span<byte> header = stackalloc byte[5];
        if (value is null)
        {
            header[0] = 0;
            BinaryPrimitives.WriteInt32BigEndian(header[1..], 0);
            hash.AppendData(header);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        header[0] = 1;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], bytes.Length);
        hash.AppendData(header);
        hash.AppendData(bytes);
    }
}
