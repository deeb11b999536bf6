using System.CommandLine;
using System.Text;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary>
/// <c>mjpki app login|me|usage|logout</c>, <c>mjpki card login</c>, <c>mjpki kiosk issue</c>, <c>mjpki hospital check</c>:
/// logins with an auth certificate (docs/relying-parties.md, "Portal, kiosk and hospital").
/// </summary>
internal static class PortalCommands
{
    public static void Add(RootCommand root)
    {
        var app = root.Subcommands.Single(c => c.Name == "app");
        var card = root.Subcommands.Single(c => c.Name == "card");
        var server = Common.Server();
        var phoneFile = Common.Required("--phone", "Phone file");
        var pin = Secrets.Option("--pin", "The phone auth PIN, 4 digits (asked if omitted)");
        var tokenFile = Common.Optional("--token-file", "Where to save the session token (readable by the owner only); otherwise it is printed");

        var login = new Command("login", "マイナポータル login with this phone's auth certificate (PIN)") { server, phoneFile, pin, tokenFile };
        login.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var session = await a.LoginAsync(Secrets.Get(p, pin), ct);
            PrintSession(session, p.GetValue(tokenFile));
            return session;
        }));
        app.Subcommands.Add(login);

        var readToken = Common.Required("--token-file", "The session token file written by `login`");
        var me = new Command("me", "The signed-in person of a portal session") { server, readToken };
        me.Handle(async (p, ct) =>
        {
            var view = await Common.Api(p.GetValue(server)!).GetMeAsync(ReadToken(p.GetValue(readToken)!), ct);
            Console.WriteLine($"person {view.PersonId}");
            Console.WriteLine($"certificate {view.CertificateKind} {view.CertificateSerial}");
            Console.WriteLine($"session until {view.ExpiresAt:O}");
        });
        app.Subcommands.Add(me);

        var limit = new Option<int>("--limit") { Description = "Entries to show (1–100)", DefaultValueFactory = _ => 20 };
        var before = new Option<long>("--before") { Description = "Show entries older than this id (paging)" };
        var usage = new Command("usage", "利用履歴: every use of your certificates, newest first") { server, readToken, limit, before };
        usage.Handle(async (p, ct) =>
        {
            var page = await Common.Api(p.GetValue(server)!).GetUsageAsync(ReadToken(p.GetValue(readToken)!), p.GetValue(before), Math.Clamp(p.GetValue(limit), 1, 100), ct);
            foreach (var u in page.Items)
            {
                Console.WriteLine($"{u.Id} {u.At.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm:ss} JST {u.Kind} {u.Party ?? "-"} {u.Detail}");
            }

            if (page.Next is { } next)
            {
                Console.WriteLine($"more: --before {next}");
            }
        });
        app.Subcommands.Add(usage);

        var logout = new Command("logout", "Ends a portal session") { server, readToken };
        logout.Handle(async (p, ct) =>
        {
            await Common.Api(p.GetValue(server)!).LogoutAsync(ReadToken(p.GetValue(readToken)!), ct);
            Console.WriteLine("ログアウトしました / Logged out");
        });
        app.Subcommands.Add(logout);

        var cardFile = Common.Required("--card", "Card file held to the reader, or pcsc:READER for a card in a PC/SC reader");
        var cardPin = Secrets.Option("--pin", "The card's auth PIN, 4 digits (asked if omitted)");
        var cardLogin = new Command("login", "マイナポータル login with the card's auth certificate (PIN)") { server, cardFile, cardPin, tokenFile };
        cardLogin.Handle(async (p, ct) =>
        {
            using var pcsc = AppCommands.OpenPcsc(p.GetValue(cardFile)!);
            IApduChannel channel = pcsc is not null ? pcsc : VirtualCard.Open(p.GetValue(cardFile)!).Applet;
            var session = await CardLogin.LoginAsync(Common.Api(p.GetValue(server)!), channel, Secrets.Require(p, cardPin, "利用者証明用電子証明書の暗証番号（数字4桁）", "Card auth PIN (4 digits)"), ct);
            PrintSession(session, p.GetValue(tokenFile));
        });
        card.Subcommands.Add(cardLogin);

        AddTerminals(root, server, phoneFile, pin);
    }

    private static void AddTerminals(RootCommand root, Option<string> server, Option<string> phoneFile, Option<string?> pin)
    {
        var key = Common.Optional("--key", "The terminal's API key (X-Terminal-Key; not needed for unconfigured terminals in sandbox mode)");
        var output = Common.Optional("--out", "Where to write the signed document (compact JWS)");
        var kioskId = Common.Required("--kiosk", "Kiosk id");
        var kiosk = new Command("kiosk", "コンビニ交付: a convenience-store kiosk");
        root.Subcommands.Add(kiosk);
        var issue = new Command("issue", "住民票の写し: the kiosk logs you in with the phone (PIN) and prints the document for you") { server, phoneFile, pin, kioskId, key, output };
        issue.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var api = Common.Api(p.GetValue(server)!);
            var id = p.GetValue(kioskId)!;
            var token = await TerminalLoginAsync(api, a, "kiosks", id, p.GetValue(key), Secrets.Get(p, pin), ct);
            try
            {
                var document = await api.IssueKioskDocumentAsync(id, p.GetValue(key), token, "juminhyo", ct);
                var keys = await api.GetDocumentKeysAsync(ct);
                var content = keys.Keys.Select(k => DocumentJws.Verify<ResidenceCertificateContent>(document.Jws, k)).FirstOrDefault(c => c is not null)
                    ?? throw new AppException("bad-document", "交付された証明書の署名を確認できません / The document's signature does not verify with the service's keys.");
                if (p.GetValue(output) is { } path)
                {
                    await File.WriteAllTextAsync(path, document.Jws + "\n", ct);
                }

                Console.WriteLine($"document {content.DocumentId} {content.Type} for {content.Person.Name} issued {content.IssuedAt.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST at kiosk {content.KioskId} (signature verified)");
                return content;
            }
            finally
            {
                await api.TerminalLogoutAsync("kiosks", id, p.GetValue(key), token, ct);
            }
        }));
        kiosk.Subcommands.Add(issue);

        var hospitalId = Common.Required("--hospital", "Hospital (reader) id");
        var hospital = new Command("hospital", "マイナ保険証: a hospital's card reader");
        root.Subcommands.Add(hospital);
        var check = new Command("check", "資格確認: the reader logs you in with the phone (PIN) and shows your health-insurance eligibility") { server, phoneFile, pin, hospitalId, key };
        check.Handle(async (p, ct) => await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, async a =>
        {
            var api = Common.Api(p.GetValue(server)!);
            var id = p.GetValue(hospitalId)!;
            var token = await TerminalLoginAsync(api, a, "hospitals", id, p.GetValue(key), Secrets.Get(p, pin), ct);
            try
            {
                var e = await api.CheckEligibilityAsync(id, p.GetValue(key), token, ct);
                Console.WriteLine($"eligible {(e.Eligible ? "yes" : "no")}");
                Console.WriteLine($"insurer {e.InsurerNumber} {e.InsurerName}");
                Console.WriteLine($"insured {e.InsuredSymbol}-{e.InsuredNumber}-{e.Branch} copay {e.CopayRatio}");
                Console.WriteLine($"valid from {e.ValidFrom}{(e.ValidUntil is null ? string.Empty : " until " + e.ValidUntil)}");
                return e;
            }
            finally
            {
                await api.TerminalLogoutAsync("hospitals", id, p.GetValue(key), token, ct);
            }
        }));
        hospital.Subcommands.Add(check);
    }

    /// <summary>The terminal asks for a challenge, the phone approves it with the PIN, the terminal logs in: the session token.</summary>
    private static async Task<string> TerminalLoginAsync(ServerApi api, PortalApp app, string terminal, string id, string? key, string? pin, CancellationToken ct)
    {
        var challenge = await api.GetTerminalChallengeAsync(terminal, id, key, ct);
        var answer = app.ApproveTerminalLogin(challenge, pin);
        return (await api.TerminalLoginAsync(terminal, id, key, answer, ct)).Token;
    }

    private static void PrintSession(SessionView session, string? tokenFile)
    {
        if (tokenFile is null)
        {
            Console.WriteLine($"token {session.Token}");
        }
        else
        {
            var options = PrivateFiles.Options(FileMode.Create);

            using var file = new StreamWriter(tokenFile, Encoding.ASCII, options);
            file.Write(session.Token);
            Console.WriteLine($"session saved to {tokenFile}");
        }

        Console.WriteLine($"logged in to {session.Audience} until {session.ExpiresAt.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST");
    }

    private static string ReadToken(string path)
    {
        var token = File.ReadAllText(path).Trim();
        return token.Length is > 0 and <= 128 ? token : throw new AppException("bad-token-file", $"{path} does not hold a session token (run `mjpki app login --token-file {path}`).");
    }
}
