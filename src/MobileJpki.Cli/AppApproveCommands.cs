using System.CommandLine;
using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary><c>mjpki app approve</c>: answer a relying party's device-link code (login or signing) on the phone.</summary>
internal static class AppApproveCommands
{
    public static void Add(RootCommand root)
    {
        var app = root.Subcommands.First(c => c.Name == "app");
        var server = Common.Server();
        var phoneFile = Common.Required("--phone", "Phone file");
        var code = Common.Required("--code", "The code the page shows (XXXX-XXXX)");
        var pin = Secrets.Option("--pin", "Phone auth PIN (a login asking for openid only)");
        var signPassword = Secrets.Option("--sign-password", "Phone signing password (name/address/birthdate/gender, signing requests)");
        var refuse = new Option<bool>("--refuse") { Description = "Decline instead of approving" };
        var approve = new Command("approve", "承認: approve (or --refuse) a relying party's login or signing request shown as a code") { server, phoneFile, code, pin, signPassword, refuse };
        approve.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var (request, outcome) = await a.ApproveAsync(
                p.GetValue(code)!,
                new ApproveOptions { Pin = Secrets.Get(p, pin), SigningPassword = Secrets.Get(p, signPassword), Refuse = p.GetValue(refuse) },
                ct);
            if (request.Description is { } description)
            {
                Console.WriteLine($"description: {description}");
            }

            Console.WriteLine($"{outcome.Status} {request.ClientName}");
            return outcome;
        }));
        app.Subcommands.Add(approve);
    }
}
