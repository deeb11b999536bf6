using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki sandbox clock</c>: read or move the sandbox clock.</summary>
internal static class SandboxCommands
{
    public static void Add(RootCommand root)
    {
        var sandbox = new Command("sandbox", "Sandbox administration");
        root.Subcommands.Add(sandbox);
        var server = Common.Server();
        var advance = Common.Optional("--advance", "Move forward by a duration (PT2H, 02:00:00, 1.00:00:00)");
        var set = Common.Optional("--set", "Move to an ISO-8601 instant (forward only)");
        var toOpening = new Option<bool>("--to-opening") { Description = "Move to the next opening of the issuance window if it is closed" };
        var clock = new Command("clock", "Read or move the sandbox clock") { server, advance, set, toOpening };
        clock.Handle(async (p, ct) =>
        {
            var api = Common.Api(p.GetValue(server)!);
            var a = p.GetValue(advance);
            var s = p.GetValue(set);
            var o = p.GetValue(toOpening);
            if ((a is null ? 0 : 1) + (s is null ? 0 : 1) + (o ? 1 : 0) > 1)
            {
                throw new AppException("bad-arguments", "Give at most one of --advance, --set, --to-opening.");
            }

            DateTimeOffset? instant = null;
            if (s is not null)
            {
                instant = DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var v)
                    ? v
                    : throw new AppException("bad-arguments", $"--set '{s}' is not an ISO-8601 date-time.");
            }

            var view = a is null && s is null && !o
                ? await api.GetClockAsync(ct)
                : await api.ChangeClockAsync(new ClockChange(a, instant, o ? true : null), ct);
            Console.WriteLine($"now: {view.NowJst} (JST)");
            Console.WriteLine($"window: {(view.WindowOpen ? "open" : "closed")}; next opening {view.NextOpening.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd'T'HH:mm:sszzz}");
        });
        sandbox.Subcommands.Add(clock);
    }
}
