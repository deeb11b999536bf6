using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Card.Bridge;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki card …</c>: the municipal office issues virtual My Number Cards.</summary>
internal static class CardCommands
{
    public static void Add(RootCommand root)
    {
        var card = new Command("card", "Virtual My Number Cards");
        root.Subcommands.Add(card);

        var server = Common.Server();
        var output = Common.Required("--out", "Card file to write");
        var name = Common.Required("--name", "Name (氏名)");
        var birth = Common.Required("--birth", "Birth date YYYY-MM-DD");
        var gender = Common.Required("--gender", "male|female|other");
        var address = Common.Required("--address", "Address (住所)");
        var signPassword = Secrets.Option("--sign-password", "Card signing password: 6–16 of A–Z and 0–9, both (asked twice if omitted)");
        var authPin = Secrets.Option("--auth-pin", "Card auth PIN: 4 digits (asked twice if omitted)");
        var force = new Option<bool>("--force") { Description = "Overwrite an existing card file" };
        var issue = new Command("issue", "市区町村窓口: issue a card whose certificates come from the server's CA")
        {
            server, output, name, birth, gender, address, signPassword, authPin, force,
        };
        issue.Handle(async (p, ct) =>
        {
            var path = p.GetValue(output)!;
            if (File.Exists(path) && !p.GetValue(force))
            {
                throw new AppException("exists", $"{path} already exists; use --force to replace it.");
            }

            var signing = Secrets.Require(p, signPassword, "署名用電子証明書のパスワード（英大文字と数字6〜16文字）", "Signing password (6–16 A–Z/0–9)", confirm: true);
            var auth = Secrets.Require(p, authPin, "利用者証明用電子証明書の暗証番号（数字4桁）", "Auth PIN (4 digits)", confirm: true);
            var blank = VirtualCard.CreateBlank(signing, auth);
            var api = Common.Api(p.GetValue(server)!);
            var issued = await api.IssueCardAsync(
                new CardIssueRequest(p.GetValue(name)!, null, p.GetValue(gender)!, p.GetValue(birth)!, p.GetValue(address)!, null,
                    Convert.ToBase64String(blank.SigningPublicKeyInfo), Convert.ToBase64String(blank.AuthPublicKeyInfo)),
                ct);
            blank.InstallCertificates(
                Convert.FromBase64String(issued.SigningCertificate),
                Convert.FromBase64String(issued.SigningCaCertificate),
                Convert.FromBase64String(issued.AuthCertificate),
                Convert.FromBase64String(issued.AuthCaCertificate));
            blank.Save(path);
            Console.WriteLine($"マイナンバーカードを交付しました / Card issued: {path}");
        });
        card.Subcommands.Add(issue);

        var cardFile = Common.Required("--card", "Card file");
        var info = new Command("info", "Token label, PIN counters and certificates of a card") { cardFile };
        info.Handle((p, ct) =>
        {
            var vc = VirtualCard.Load(p.GetValue(cardFile)!);
            var client = new JpkiClient(vc.Applet);
            client.SelectAp();
            Console.WriteLine($"token: {client.ReadTokenLabel()}");
            var sign = client.GetPinStatus(PinKind.Signing);
            var auth = client.GetPinStatus(PinKind.Auth);
            Console.WriteLine($"signing password: {(sign.Locked ? "locked" : $"{sign.TriesLeft} tries left")}");
            Console.WriteLine($"auth PIN: {(auth.Locked ? "locked" : $"{auth.TriesLeft} tries left")}");
            using var authCert = client.ReadCertificate(JpkiFiles.AuthCertificate);
            Console.WriteLine($"auth certificate: serial {authCert.SerialNumber.ToLowerInvariant()}, valid until {authCert.NotAfter:yyyy-MM-dd}");
            return Task.CompletedTask;
        });
        card.Subcommands.Add(info);

        var vpcd = new Option<string>("--vpcd")
        {
            Description = "host:port where pcscd's virtual reader (vsmartcard-vpcd) listens",
            DefaultValueFactory = _ => $"127.0.0.1:{VpcdBridgeOptions.DefaultPort}",
        };
        var serve = new Command("serve", "Put the card in pcscd's virtual reader (vsmartcard-vpcd) for OpenSC and other PC/SC software, until Ctrl+C") { cardFile, vpcd };
        serve.Handle(async (p, ct) =>
        {
            var path = p.GetValue(cardFile)!;
            var options = ParseVpcd(p.GetValue(vpcd)!);
            var vc = VirtualCard.Open(path);
            Console.WriteLine($"serving {path} through vpcd at {options.Host}:{options.Port} (Ctrl+C stops)");
            var bridge = new VpcdBridge(vc.Applet, options, e =>
            {
                if (e.Kind == VpcdBridgeEventKind.Unreachable)
                {
                    Console.Error.WriteLine("mjpki: " + e.Message);
                }
                else
                {
                    Console.WriteLine(e.Message);
                }
            });
            await bridge.RunAsync(ct);
        });
        card.Subcommands.Add(serve);
    }

    private static VpcdBridgeOptions ParseVpcd(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            throw new AppException("bad-vpcd", $"--vpcd takes host:port, e.g. 127.0.0.1:{VpcdBridgeOptions.DefaultPort}; '{text}' is not.");
        }

        return new VpcdBridgeOptions { Host = text[..colon].Trim('[', ']'), Port = port };
    }
}
