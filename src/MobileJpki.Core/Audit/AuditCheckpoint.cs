using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Audit;

/// <summary>The newest entry of the audit log: its sequence and hash.</summary>
public sealed record AuditHead(
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("headHash")] string HeadHash);

/// <summary>The audit key's public half, for verifiers: its id and SubjectPublicKeyInfo as PEM.</summary>
public sealed record AuditKeyView(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("publicKey")] string PublicKeyPem);

/// <summary>
/// A signed statement "at <see cref="At"/> the audit log ended at entry <see cref="Sequence"/> with hash
/// <see cref="HeadHash"/>", made with the audit key (docs/operations.md, "Audit checkpoints"). Kept away from the
/// database, it anchors the head: a cut or rewritten tail no longer contains it.
/// </summary>
/// <remarks>
/// Signature = ECDSA P-256 / SHA-256 (IEEE P1363, r ‖ s) over "mjpki-audit-checkpoint-v1" ‖ sequence (int64 BE) ‖
/// head hash (32 bytes) ‖ at (Unix ms, int64 BE). <see cref="KeyId"/> is the lowercase hex SHA-256 of the signer's
/// SubjectPublicKeyInfo, so a checkpoint names the key it needs.
/// </remarks>
public sealed record AuditCheckpoint(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("headHash")] string HeadHash,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("signature")] string Signature)
{
    public const string FormatV1 = "mjpki-audit-checkpoint-v1";

    /// <summary>Signs the head with <paramref name="key"/> (a P-256 private key).</summary>
    public static AuditCheckpoint Sign(AuditHead head, DateTimeOffset at, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(key);
        var stamped = AuditChain.Normalize(at);
        var signature = key.SignData(SignedBytes(head.Sequence, head.HeadHash, stamped), HashAlgorithmName.SHA256);
        return new AuditCheckpoint(FormatV1, head.Sequence, head.HeadHash, stamped, KeyIdOf(key.ExportSubjectPublicKeyInfo()), Convert.ToBase64String(signature));
    }

    /// <summary>The key id of a SubjectPublicKeyInfo (DER): lowercase hex SHA-256.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>
    /// Null when the checkpoint is well formed and signed by the key <paramref name="subjectPublicKeyInfo"/>;
    /// otherwise why not (another key, a bad signature, a malformed field).
    /// </summary>
    public string? Check(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (!string.Equals(Format, FormatV1, StringComparison.Ordinal))
        {
            return $"not an audit checkpoint (format '{Format}') / 監査チェックポイントではありません";
        }

        if (Sequence < 0 || HeadHash is not { Length: 64 } || !HeadHash.All(char.IsAsciiHexDigitLower))
        {
            return "the checkpoint's sequence or head hash is malformed / チェックポイントの形式が不正です";
        }

        if (!string.Equals(KeyId, KeyIdOf(subjectPublicKeyInfo), StringComparison.Ordinal))
        {
            return $"the checkpoint was signed by another key ({KeyId}), not the audit key / 別の鍵で署名されたチェックポイントです";
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(Signature ?? string.Empty);
        }
        catch (FormatException)
        {
            return "the checkpoint's signature is not base64 / 署名の形式が不正です";
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        }
        catch (CryptographicException)
        {
            return "the audit key is not an EC public key / 監査鍵の形式が不正です";
        }

        return key.KeySize == 256 && key.VerifyData(SignedBytes(Sequence, HeadHash, At), signature, HashAlgorithmName.SHA256)
            ? null
            : "the checkpoint's signature does not verify: it was forged or altered / チェックポイントの署名が正しくありません";
    }

    private static byte[] SignedBytes(long sequence, string headHash, DateTimeOffset at)
    {
        var domain = Encoding.ASCII.GetBytes(FormatV1);
        var bytes = new byte[domain.Length + 8 + 32 + 8];
        domain.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(domain.Length), sequence);
        Convert.FromHexString(headHash).CopyTo(bytes, domain.Length + 8);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(domain.Length + 40), at.ToUnixTimeMilliseconds());
        return bytes;
    }
}
