using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Audit;
using MobileJpki.Web.Console;

namespace MobileJpki.Web.Pages.Console;

/// <summary>
/// The audit trail (GET /api/v1/audit, supervisors only): the newest entries as a table, and the hash chain checked
/// over the whole log, as <c>mjpki audit verify</c> does.
/// </summary>
public sealed class AuditModel : ConsolePageModel
{
    /// <summary>How many entries the table shows (newest first).</summary>
    public const int Shown = 200;

    // Pages of 5000; beyond this the chain is not checked here (the CLI checks logs of any length).
    private const int MaxPages = 20;

    /// <summary>The newest entries, newest first.</summary>
    public IReadOnlyList<AuditRecord> Entries { get; private set; } = [];

    /// <summary>How many entries the log has.</summary>
    public long Total { get; private set; }

    /// <summary>The chain check, or null when the log was too long to check here.</summary>
    public AuditVerification? Chain { get; private set; }

    /// <summary>Reads the whole log page by page, checks the chain, keeps the newest for the table.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var all = new List<AuditRecord>();
        var complete = false;
        try
        {
            var api = Api();
            long? after = 0;
            for (var page = 0; page < MaxPages && after is { } a; page++)
            {
                var read = await api.SendAsync<AuditPage>(HttpMethod.Get, $"/api/v1/audit?after={a}&limit=5000", null, Operator!.Token, ct);
                all.AddRange(read.Entries);
                after = read.Next;
                complete = after is null;
            }
        }
        catch (AppException e)
        {
            return Refused(e) ?? Page();
        }

        Total = all.Count;
        Chain = complete ? AuditChain.Verify(all) : null;
        Entries = all.AsEnumerable().Reverse().Take(Shown).ToList();
        return Page();
    }
}
