using System.Xml;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>Sandbox administration: read and move the service's clock (only when Sandbox:Enabled), shared by all nodes through the database.</summary>
internal static class SandboxEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandbox").WithTags("Sandbox");
        group.MapGet("/clock", async (SandboxClock clock, SandboxClockSync sync, ProcessingWindow window, CancellationToken ct) =>
            {
                await sync.RestoreAsync(ct);
                return Results.Json(View(clock, window));
            })
            .Produces<ClockView>();
        group.MapPost("/clock", Change)
            .Produces<ClockView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithMetadata(new RequestSizeLimitMetadata(1024));
    }

    private static async Task<IResult> Change(ClockChange body, SandboxClock clock, SandboxClockSync sync, ProcessingWindow window, CancellationToken ct)
    {
        var given = (body.Advance is null ? 0 : 1) + (body.Set is null ? 0 : 1) + (body.ToOpening == true ? 1 : 0);
        if (given != 1)
        {
            throw MjpkiException.BadRequest("bad-clock-change", "Give exactly one of advance, set or toOpening.");
        }

        // From the shared "now": another node may have moved the clock since this one last looked.
        await sync.RestoreAsync(ct);
        TimeSpan offset;
        try
        {
            if (body.Advance is { } advance)
            {
                offset = clock.OffsetAfter(ParseDuration(advance));
            }
            else if (body.Set is { } set)
            {
                offset = clock.OffsetAt(set);
            }
            else
            {
                var now = clock.GetUtcNow();
                offset = window.IsOpen(now) ? clock.Offset : clock.OffsetAt(window.NextOpening(now));
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw MjpkiException.BadRequest("bad-clock-change", "The sandbox clock only moves forward.");
        }

        // Stored first, so a restart or another node never sees an earlier "now" than this answer shows.
        await sync.MoveToAsync(offset, ct);
        return Results.Json(View(clock, window));
    }

    /// <summary>Accepts ISO 8601 durations (PT2H) and .NET time spans (02:00:00, 1.00:00:00).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        if (text.Length <= 40)
        {
            try
            {
                if (text.StartsWith('P'))
                {
                    var d = XmlConvert.ToTimeSpan(text);
                    if (d >= TimeSpan.Zero && d <= TimeSpan.FromDays(3650))
                    {
                        return d;
                    }
                }
                else if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero && t <= TimeSpan.FromDays(3650))
                {
                    return t;
                }
            }
            catch (FormatException)
            {
                // Falls through to the clear error below.
            }
        }

        throw MjpkiException.BadRequest("bad-clock-change", "'advance' must be a non-negative duration such as PT2H or 02:00:00 (at most ten years).");
    }

    private static ClockView View(SandboxClock clock, ProcessingWindow window)
    {
        var now = clock.GetUtcNow();
        return new ClockView(now, now.ToOffset(ProcessingWindow.Jst).ToString("yyyy-MM-dd'T'HH:mm:sszzz"), window.IsOpen(now), window.NextOpening(now));
    }
}
