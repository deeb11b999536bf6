using System.Security.Cryptography;
using MobileJpki.Core.Audit;

namespace MobileJpki.Ra;

/// <summary>The audit key's storage: one key every node of the database shares, created by whichever node asks first.</summary>
public interface IAuditKeyStore
{
    /// <summary>The stored value of this name; when there is none, <paramref name="create"/>'s is stored (the first writer wins) and returned.</summary>
    Task<byte[]> GetOrCreateAsync(string name, Func<byte[]> create, CancellationToken ct);
}

/// <summary>
/// Signed checkpoints of the audit log's head (docs/operations.md, "Audit checkpoints") with the audit key: an ECDSA
/// P-256 key of its own (never a CA key), kept in the database's service keys so every node signs with the same one.
/// </summary>
public sealed class AuditCheckpoints(IAuditReader reader, IAuditKeyStore keys, TimeProvider time)
{
    /// <summary>The audit key's name among the service keys (PKCS#8).</summary>
    public const string KeyName = "audit-checkpoint-key";

    private byte[]? _pkcs8;

    /// <summary>Signs the log's current head (sequence 0 and the genesis hash while it is empty).</summary>
    public async Task<AuditCheckpoint> MakeAsync(CancellationToken ct)
    {
        var head = await reader.ReadHeadAsync(ct) ?? new AuditHead(0, AuditChain.GenesisHash);
        using var key = await KeyAsync(ct);
        return AuditCheckpoint.Sign(head, time.GetUtcNow(), key);
    }

    public async Task<AuditKeyView> PublicKeyAsync(CancellationToken ct)
    {
        using var key = await KeyAsync(ct);
        var spki = key.ExportSubjectPublicKeyInfo();
        return new AuditKeyView(AuditCheckpoint.KeyIdOf(spki), key.ExportSubjectPublicKeyInfoPem());
    }

    private async Task<ECDsa> KeyAsync(CancellationToken ct)
    {
        _pkcs8 ??= await keys.GetOrCreateAsync(KeyName, NewKey, ct);
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(_pkcs8, out _);
        return key;
    }

    private static byte[] NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKey();
    }
}

/// <summary>The scheduled checkpoints (<c>Audit:*</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>How often a node signs the head when it moved (0 turns the schedule off). Default 1 hour.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where scheduled checkpoints are written (one file each, and latest.json); default &lt;Pki:DataDirectory&gt;/audit-checkpoints.</summary>
    public string? CheckpointDirectory { get; set; }

    public void Validate()
    {
        if (CheckpointInterval != TimeSpan.Zero && (CheckpointInterval < TimeSpan.FromSeconds(10) || CheckpointInterval > TimeSpan.FromDays(1)))
        {
            throw new InvalidOperationException("Audit:CheckpointInterval must be 0 (off) or between 10 seconds and 1 day.");
        }
    }
}
