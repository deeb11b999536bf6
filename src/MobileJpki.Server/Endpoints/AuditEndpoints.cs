using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Server.Endpoints;

/// <summary>The audit log, for supervisors: paged in sequence order, so <c>mjpki audit verify</c> can recompute the chain.</summary>
internal static class AuditEndpoints
{
    private const int DefaultPage = 500;

    private const int MaxPage = 5_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", ReadAsync)
            .WithTags("Hotline")
            .WithSummary("Supervisor: audit entries with sequence above 'after', oldest first, at most 'limit' (default 500, max 5000)")
            .Produces<AuditPage>()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapPost("/api/v1/audit/checkpoints", CheckpointAsync)
            .WithTags("Hotline")
            .WithSummary("Supervisor: a checkpoint of the audit log's head (sequence, hash, time) signed with the audit key; keep it away from the server")
            .Produces<AuditCheckpoint>()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapGet("/api/v1/audit/key", KeyAsync)
            .WithTags("Hotline")
            .WithSummary("Supervisor: the audit key's public key (PEM) and id, to verify checkpoints with")
            .Produces<AuditKeyView>()
            .ProducesProblem(StatusCodes.Status403Forbidden);
    }

    private static async Task<IResult> CheckpointAsync(HttpContext context, HotlineService hotline, AuditCheckpoints checkpoints, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        await hotline.RequireAsync(caller, HotlineRight.ReadAudit, "audit.checkpoint", null, HotlineEndpoints.Source(context), ct);

        // Recorded first, so the checkpoint covers its own request.
        await hotline.RecordAsync(caller, "audit.checkpoint", null, HotlineEndpoints.Source(context), ct);
        return Results.Json(await checkpoints.MakeAsync(ct));
    }

    private static async Task<IResult> KeyAsync(HttpContext context, HotlineService hotline, AuditCheckpoints checkpoints, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        await hotline.RequireAsync(caller, HotlineRight.ReadAudit, "audit.key", null, HotlineEndpoints.Source(context), ct);
        return Results.Json(await checkpoints.PublicKeyAsync(ct));
    }

    private static async Task<IResult> ReadAsync(long? after, int? limit, HttpContext context, HotlineService hotline, IAuditReader reader, CancellationToken ct)
    {
        var caller = await hotline.AuthenticateAsync(Inputs.Bearer(context.Request), ct);
        await hotline.RequireAsync(caller, HotlineRight.ReadAudit, "audit.read", null, HotlineEndpoints.Source(context), ct);
        if ((after ?? 0) <= 0)
        {
            // A download from the start is one act (verify pages through the rest).
            await hotline.RecordAsync(caller, "audit.read", null, HotlineEndpoints.Source(context), ct);
        }

        var take = Math.Clamp(limit ?? DefaultPage, 1, MaxPage);
        var entries = await reader.ReadAsync(Math.Max(after ?? 0, 0), take, ct);
        return Results.Json(new AuditPage(entries, entries.Count == take ? entries[^1].Sequence : null));
    }
}
