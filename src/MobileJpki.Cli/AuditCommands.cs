using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Core.Audit;

namespace MobileJpki.Cli;

/// <summary><c>mjpki audit verify</c>: downloads the whole audit log and recomputes its hash chain.</summary>
internal static class AuditCommands
{
    public static void Add(RootCommand root)
    {
        var audit = new Command("audit", "The append-only, hash-chained audit log of operator acts");
        root.Subcommands.Add(audit);

        var server = Common.Server();
        var token = OperatorCommands.Token();
        var verify = new Command("verify", "Check every link of the chain; names the first broken entry") { server, token };
        verify.Handle(async (p, ct) =>
        {
            using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
            var entries = await client.ReadAllAuditAsync(ct);
            var result = AuditChain.Verify(entries);
            if (!result.Ok)
            {
                throw new AppException(Common.AuditBrokenCode, $"audit log broken at entry {result.BrokenSequence}: {result.Problem}");
            }

            Console.WriteLine($"OK {result.Count} entries, head {result.HeadHash}");
        });
        audit.Subcommands.Add(verify);
    }
}
