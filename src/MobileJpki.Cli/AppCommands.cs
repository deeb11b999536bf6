using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Card.PcSc;
using MobileJpki.Core;
using MobileJpki.Device;

namespace MobileJpki.Cli;

/// <summary><c>mjpki app …</c>: the portal app on a virtual phone.</summary>
internal static class AppCommands
{
    private const string PcscPrefix = "pcsc:";

    public static void Add(RootCommand root)
    {
        var app = new Command("app", "The portal app (マイナポータルアプリ) on a virtual phone");
        root.Subcommands.Add(app);

        var server = Common.Server();
        var phoneFile = Common.Required("--phone", "Phone file");
        var cardFile = Common.Required("--card", "Card file held to the phone, or pcsc:READER for a card in a PC/SC reader (e.g. pcsc:Virtual PCD 00 00)");
        var cardPassword = Secrets.Option("--card-password", "The card's signing password (asked if omitted)");
        var kinds = Common.Optional("--kinds", "sign,auth (default both)");
        var newSign = Secrets.Option("--new-sign-password", "New phone signing password (asked twice if omitted)");
        var newPin = Secrets.Option("--new-auth-pin", "New phone auth PIN, 4 digits (asked twice if omitted)");
        var email = Common.Optional("--email", "Where to send e-mail notices");
        var apply = new Command("apply", "利用申請: apply for phone certificates with the card") { server, phoneFile, cardFile, cardPassword, kinds, newSign, newPin, email };
        apply.Handle(async (p, ct) =>
        {
            var parsedKinds = ParseKinds(p.GetValue(kinds));
            var (given, newSigning, newAuth) = (Secrets.Get(p, cardPassword), Secrets.Get(p, newSign), Secrets.Get(p, newPin));
            using var pcsc = OpenPcsc(p.GetValue(cardFile)!);
            IApduChannel card = pcsc is not null ? pcsc : VirtualCard.Open(p.GetValue(cardFile)!).Applet;
            await WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.ApplyAsync(
                card,
                new ApplyOptions
                {
                    CardPassword = given,
                    Kinds = parsedKinds,
                    NewSigningPassword = newSigning,
                    NewAuthPin = newAuth,
                    Email = p.GetValue(email),
                    Confirmed = given is not null || !Common.Interactive,
                },
                ct));
        });
        app.Subcommands.Add(apply);

        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait", DefaultValueFactory = _ => 120 };
        var wait = new Command("wait", "Wait for the push notification of the pending application") { server, phoneFile, timeout };
        wait.Handle(async (p, ct) =>
            await WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.WaitAsync(TimeSpan.FromSeconds(Math.Clamp(p.GetValue(timeout), 1, 3600)), ct)));
        app.Subcommands.Add(wait);

        var register = new Command("register", "利用登録: write the issued certificates into the phone") { server, phoneFile };
        register.Handle(async (p, ct) => await WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.RegisterAsync(ct)));
        app.Subcommands.Add(register);

        var status = new Command("status", "Applications and certificates of this phone") { server, phoneFile };
        status.Handle(async (p, ct) => await WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var s = await a.SyncAsync(ct);
            Console.WriteLine($"phone {s.PhoneId}");
            foreach (var application in s.Applications)
            {
                Console.WriteLine($"application {application.ApplicationId} [{string.Join(',', application.Kinds)}] {application.Status} (due {application.ProcessAfter.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST){(application.Reason is null ? string.Empty : " — " + application.Reason)}");
            }

            foreach (var cert in s.Certificates)
            {
                Console.WriteLine($"certificate {cert.Kind} {cert.Serial} {cert.Status} until {cert.NotAfter:yyyy-MM-dd}");
            }

            AppLifecycleCommands.PrintPasswords(a);
            return s;
        }));
        app.Subcommands.Add(status);
        AppLifecycleCommands.Add(app);
    }

    /// <summary><c>pcsc:READER</c> connects to a card through pcscd (waiting up to 5 s for it); a file path gives null.</summary>
    internal static PcscChannel? OpenPcsc(string card) =>
        card.StartsWith(PcscPrefix, StringComparison.Ordinal) ? PcscChannel.Connect(card[PcscPrefix.Length..], TimeSpan.FromSeconds(5)) : null;

    internal static IReadOnlyList<Hierarchy>? ParseKinds(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var result = new List<Hierarchy>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CertificateKinds.TryParseWireName(part, out var h))
            {
                throw new AppException("bad-kinds", $"--kinds takes sign, auth or sign,auth; '{part}' is not one of them.");
            }

            result.Add(h);
        }

        return result.Count > 0 ? result : throw new AppException("bad-kinds", "--kinds must name at least one kind.");
    }

    internal static async Task<T> WithAppAsync<T>(string server, string phonePath, Func<PortalApp, Task<T>> body)
    {
        var api = Common.Api(server);

        // A phone sets its clock from the network. Against a sandbox whose clock was moved, the secure element must judge
        // the server's certificates (e.g. a PIN-reset grant's) at the server's time, not this machine's.
        var clock = await NetworkClock.FromServerAsync(api, TimeProvider.System, CancellationToken.None);
        using var phone = VirtualPhone.Open(phonePath, clock);
        var app = new PortalApp(phone, () => phone.Save(phonePath), api, new ConsoleScreens(Console.Out, Common.Interactive), clock);
        return await body(app);
    }
}
