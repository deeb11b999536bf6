using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Core.Audit;

namespace MobileJpki.Cli;

/// <summary>
/// <c>mjpki audit verify</c>: downloads the whole audit log and recomputes its hash chain, and checks it still holds a
/// head seen before (<c>--head</c>, <c>--checkpoint</c>); <c>mjpki audit checkpoint</c>: a signed head to keep elsewhere.
/// Every failure of the log is code <c>audit-broken</c>.
/// </summary>
internal static class AuditCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Add(RootCommand root)
    {
        var audit = new Command("audit", "The append-only, hash-chained audit log of operator acts");
        root.Subcommands.Add(audit);

        var server = Common.Server();
        var token = OperatorCommands.Token();
        var head = Common.Optional("--head", "A head printed before (HASH, or SEQUENCE:HASH): fails when the log no longer holds it (cut or rewritten)");
        var checkpointFile = Common.Optional("--checkpoint", "A checkpoint file (mjpki audit checkpoint): its signature is checked, then that the log still holds its head");
        var keyFile = Common.Optional("--key", "The audit key's public key (PEM, from mjpki audit checkpoint --key-out) to check checkpoints with; without it the server's key is used");
        var verify = new Command("verify", "Check every link of the chain; names the first broken entry, or the entries missing after a checkpoint")
        {
            server, token, head, checkpointFile, keyFile,
        };
        verify.Handle(async (p, ct) =>
        {
            using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
            var anchors = new List<(long? Sequence, string Hash, string What)>();
            if (p.GetValue(head) is { } given)
            {
                anchors.Add(ParseHead(given));
            }

            if (p.GetValue(checkpointFile) is { } file)
            {
                var checkpoint = ReadCheckpoint(file);
                var spki = p.GetValue(keyFile) is { } pem ? ReadKey(pem) : ReadKey((await client.AuditKeyAsync(ct)).PublicKeyPem, fromServer: true);
                if (checkpoint.Check(spki) is { } refused)
                {
                    throw new AppException("audit-broken", $"checkpoint {file} refused: {refused}");
                }

                anchors.Add((checkpoint.Sequence, checkpoint.HeadHash, $"checkpoint {file}"));
            }

            var entries = await client.ReadAllAuditAsync(ct);
            var result = AuditChain.Verify(entries);
            if (!result.Ok)
            {
                throw new AppException(Common.AuditBrokenCode, $"audit log broken at entry {result.BrokenSequence}: {result.Problem}");
            }

            foreach (var (sequence, hash, what) in anchors)
            {
                var anchored = AuditChain.Verify(entries, sequence, hash);
                if (!anchored.Ok)
                {
                    throw new AppException("audit-broken", $"audit log does not hold the head of {what}: {anchored.Problem}");
                }
            }

            Console.WriteLine($"OK {result.Count} entries, head {result.HeadHash}");
        });
        audit.Subcommands.Add(verify);

        var output = Common.Required("--out", "Where to write the checkpoint (JSON); keep it away from the server");
        var keyOut = Common.Optional("--key-out", "Also write the audit key's public key (PEM), to pin with verify --key");
        var checkpointCommand = new Command("checkpoint", "Have the server sign its audit log's head (sequence, hash, time) with the audit key") { server, token, output, keyOut };
        checkpointCommand.Handle(async (p, ct) =>
        {
            using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
            var checkpoint = await client.CheckpointAsync(ct);
            var key = await client.AuditKeyAsync(ct);
            if (checkpoint.Check(ReadKey(key.PublicKeyPem, fromServer: true)) is { } refused)
            {
                throw new AppException("audit-broken", $"the server's checkpoint does not verify with its own audit key: {refused}");
            }

            await File.WriteAllBytesAsync(p.GetValue(output)!, JsonSerializer.SerializeToUtf8Bytes(checkpoint, Indented), ct);
            if (p.GetValue(keyOut) is { } keyPath)
            {
                await File.WriteAllTextAsync(keyPath, key.PublicKeyPem, ct);
            }

            Console.WriteLine($"checkpoint sequence {checkpoint.Sequence}, head {checkpoint.HeadHash}, key {checkpoint.KeyId}");
        });
        audit.Subcommands.Add(checkpointCommand);
    }

    private static (long? Sequence, string Hash, string What) ParseHead(string given)
    {
        var parts = given.Trim().Split(':');
        var hash = parts[^1].ToLowerInvariant();
        if (parts.Length > 2 || hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("--head must be a 64-digit hex hash, optionally preceded by SEQUENCE: (e.g. 57:ab12…)");
        }

        if (parts.Length == 1)
        {
            return (null, hash, "--head");
        }

        return long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? (sequence, hash, "--head")
            : throw new ArgumentException("--head SEQUENCE:HASH needs a whole number before the colon.");
    }

    private static AuditCheckpoint ReadCheckpoint(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<AuditCheckpoint>(File.ReadAllBytes(file))
                ?? throw new InvalidDataException($"{file} is not an audit checkpoint.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not an audit checkpoint: {e.Message}", e);
        }
    }

    private static byte[] ReadKey(string pemOrFile, bool fromServer = false)
    {
        var pem = fromServer ? pemOrFile : File.ReadAllText(pemOrFile);
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("The audit key is not a PEM public key.", e);
        }

        return key.ExportSubjectPublicKeyInfo();
    }
}
