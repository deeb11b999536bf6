using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Signs the audit log's head every <see cref="AuditOptions.CheckpointInterval"/> when it moved, writes the checkpoint
/// to <see cref="AuditOptions.CheckpointDirectory"/> (0600; one file per head and latest.json) and logs its sequence
/// and hash, so a copy of the head lives outside the database (docs/operations.md, "Audit checkpoints").
/// </summary>
internal sealed partial class AuditCheckpointWorker(
    AuditCheckpoints checkpoints,
    AuditOptions options,
    MobileJpki.Pki.PkiOptions pki,
    ILogger<AuditCheckpointWorker> logger) : BackgroundService
{
    /// <summary>The directory the checkpoints go to.</summary>
    public string Directory => Path.GetFullPath(options.CheckpointDirectory ?? Path.Combine(pki.DataDirectory, "audit-checkpoints"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.CheckpointInterval == TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.CheckpointInterval);
        AuditHead? last = null;
        do
        {
            try
            {
                last = await WriteAsync(last, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be down; the next tick tries again.
                LogFailed(logger, e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Writes a checkpoint unless the head is still <paramref name="last"/>; returns the head signed.</summary>
    internal async Task<AuditHead> WriteAsync(AuditHead? last, CancellationToken ct)
    {
        var checkpoint = await checkpoints.MakeAsync(ct);
        var head = new AuditHead(checkpoint.Sequence, checkpoint.HeadHash);
        if (head == last)
        {
            return head;
        }

        PrivateFiles.CreateDirectory(Directory);
        var json = JsonSerializer.SerializeToUtf8Bytes(checkpoint, new JsonSerializerOptions { WriteIndented = true });
        await WritePrivateAsync(Path.Combine(Directory, $"audit-checkpoint-{checkpoint.Sequence:D12}.json"), json, ct);
        await WritePrivateAsync(Path.Combine(Directory, "latest.json"), json, ct);
        LogCheckpoint(logger, checkpoint.Sequence, checkpoint.HeadHash, checkpoint.KeyId);
        return head;
    }

    private static async Task WritePrivateAsync(string file, byte[] content, CancellationToken ct)
    {
        // Written whole under a temporary name, then renamed, so a reader never sees half a checkpoint.
        var temp = file + ".tmp";
        await PrivateFiles.WriteAllBytesAsync(temp, content, ct);
        File.Move(temp, file, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit checkpoint: sequence {Sequence}, head {HeadHash}, key {KeyId}")]
    private static partial void LogCheckpoint(ILogger logger, long sequence, string headHash, string keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit checkpoint failed ({Error}); retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, string error);
}
