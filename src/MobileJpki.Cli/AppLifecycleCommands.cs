using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;

namespace MobileJpki.Cli;

/// <summary><c>mjpki app suspend|resume|revoke|change-device|reset-password|check-password</c>: the lifecycle screens of the portal app.</summary>
internal static class AppLifecycleCommands
{
    public static void Add(Command app)
    {
        var server = Common.Server();
        var phoneFile = Common.Required("--phone", "Phone file");
        var cardFile = Common.Required("--card", "Card file held to the phone, or pcsc:READER for a card in a PC/SC reader");
        var cardPassword = Secrets.Option("--card-password", "The card's signing password (asked if omitted)");
        var newSign = Secrets.Option("--new-sign-password", "New phone signing password (asked twice if omitted)");
        var yes = new Option<bool>("--yes") { Description = "Confirm without asking (revocation cannot be undone)" };

        var suspend = new Command("suspend", "一時利用停止: put this phone's certificates on hold") { server, phoneFile };
        suspend.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var receipt = await a.SuspendAsync(ct);
            PrintSerials("suspended", receipt.Serials);
            return receipt;
        }));
        app.Subcommands.Add(suspend);

        var resume = new Command("resume", "解除: resume this phone's suspended certificates (the signing certificate is issued again; register it after the notification)") { server, phoneFile, cardFile, cardPassword, newSign };
        resume.Handle(async (p, ct) =>
        {
            var options = new ResumeOptions { CardPassword = Secrets.Get(p, cardPassword), NewSigningPassword = Secrets.Get(p, newSign) };
            using var pcsc = AppCommands.OpenPcsc(p.GetValue(cardFile)!);
            IApduChannel card = pcsc is not null ? pcsc : VirtualCard.Open(p.GetValue(cardFile)!).Applet;
            await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
            {
                var receipt = await a.ResumeAsync(card, options, ct);
                PrintSerials("resumed", receipt.Serials);
                if (receipt.Application is { } application)
                {
                    Console.WriteLine($"application {application.ApplicationId} queued (due {application.ProcessAfter.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST)");
                }

                return receipt;
            });
        });
        app.Subcommands.Add(resume);

        var revoke = new Command("revoke", "失効: revoke this phone's certificates and delete the keys, certificates and passwords in its secure element") { server, phoneFile, yes };
        revoke.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var receipt = await a.RevokeAsync(p.GetValue(yes) || !Common.Interactive, ct);
            PrintSerials("revoked", receipt.Serials);
            return receipt;
        }));
        app.Subcommands.Add(revoke);

        var kinds = Common.Optional("--kinds", "sign,auth (default both)");
        var newPin = Secrets.Option("--new-auth-pin", "New phone auth PIN, 4 digits (asked twice if omitted)");
        var email = Common.Optional("--email", "Where to send e-mail notices");
        var changeDevice = new Command("change-device", "機種変更に伴う引継ぎ: apply on this new phone; the old phone's certificates are revoked on issue (needs --yes)") { server, phoneFile, cardFile, cardPassword, kinds, newSign, newPin, email, yes };
        changeDevice.Handle(async (p, ct) =>
        {
            var parsedKinds = AppCommands.ParseKinds(p.GetValue(kinds));
            var (given, newSigning, newAuth) = (Secrets.Get(p, cardPassword), Secrets.Get(p, newSign), Secrets.Get(p, newPin));
            using var pcsc = AppCommands.OpenPcsc(p.GetValue(cardFile)!);
            IApduChannel card = pcsc is not null ? pcsc : VirtualCard.Open(p.GetValue(cardFile)!).Applet;
            await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.ChangeDeviceAsync(
                card,
                new ApplyOptions
                {
                    CardPassword = given,
                    Kinds = parsedKinds,
                    NewSigningPassword = newSigning,
                    NewAuthPin = newAuth,
                    Email = p.GetValue(email),
                    Confirmed = given is not null || !Common.Interactive,
                    ConfirmRevokeOldPhone = p.GetValue(yes),
                },
                ct));
        });
        app.Subcommands.Add(changeDevice);

        var kind = new Option<string>("--kind") { Description = "sign (phone signing password) or auth (phone auth PIN)", Required = true };
        var cardPin = Secrets.Option("--card-pin", "The card's auth PIN, 4 digits (auth reset; asked if omitted)");
        var newPassword = Secrets.Option("--new-password", "The new phone password (asked twice if omitted)");
        var resetCardPassword = Secrets.Option("--card-password", "The card's signing password (sign reset; asked if omitted)");
        var reset = new Command("reset-password", "パスワード初期化: reset a phone password with the My Number Card (the counter is reset too)") { server, phoneFile, kind, cardFile, cardPin, resetCardPassword, newPassword };
        reset.Handle(async (p, ct) =>
        {
            var pinKind = ParsePinKind(p.GetValue(kind));
            var options = new PasswordResetOptions { Kind = pinKind, CardPin = Secrets.Get(p, cardPin), CardPassword = Secrets.Get(p, resetCardPassword), NewPassword = Secrets.Get(p, newPassword) };
            using var pcsc = AppCommands.OpenPcsc(p.GetValue(cardFile)!);
            IApduChannel card = pcsc is not null ? pcsc : VirtualCard.Open(p.GetValue(cardFile)!).Applet;
            await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.ResetPasswordAsync(
                card,
                options,
                ct));
        });
        app.Subcommands.Add(reset);

        var password = Secrets.Option("--password", "The phone password to check (asked if omitted)");
        var check = new Command("check-password", "Check a phone password in the secure element (a wrong one spends a try; a locked one says how to recover)") { server, phoneFile, kind, password };
        check.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a =>
        {
            var result = a.CheckPhonePassword(ParsePinKind(p.GetValue(kind)), Secrets.Require(p, password, "スマホのパスワード", "Phone password"));
            Console.WriteLine($"パスワードは正しいです / The password is correct ({result.TriesLeft} tries)");
            return Task.FromResult(result);
        }));
        app.Subcommands.Add(check);
    }

    /// <summary>The phone passwords' counters, for <c>mjpki app status</c>; a locked one says how to recover.</summary>
    public static void PrintPasswords(PortalApp app)
    {
        foreach (var pinKind in new[] { PinKind.Signing, PinKind.Auth })
        {
            if (app.PhonePasswordStatus(pinKind) is not { } status)
            {
                continue;
            }

            var name = pinKind == PinKind.Signing ? Hierarchy.Signing.WireName() : Hierarchy.Auth.WireName();
            Console.WriteLine(status.Locked
                ? $"password {name} locked: {PortalApp.LockedMessage(pinKind)}"
                : $"password {name} {status.TriesLeft} tries left");
        }
    }

    private static PinKind ParsePinKind(string? text) => CertificateKinds.TryParseWireName(text, out var hierarchy)
        ? hierarchy == Hierarchy.Signing ? PinKind.Signing : PinKind.Auth
        : throw new AppException("bad-kinds", $"--kind takes sign or auth, not '{text}'.");

    private static void PrintSerials(string what, IReadOnlyList<string> serials)
    {
        foreach (var serial in serials)
        {
            Console.WriteLine($"{what} {serial}");
        }
    }
}
