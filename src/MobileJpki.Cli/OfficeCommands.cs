using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki office …</c>: the municipal office's card events (address change, renewal, loss, found, PIN reset).</summary>
internal static class OfficeCommands
{
    /// <summary>Environment variable holding the office API key (Office:ApiKey), so it stays off the command line.</summary>
    public const string ApiKeyVariable = "MJPKI_OFFICE_API_KEY";

    public static void Add(RootCommand root)
    {
        var office = new Command("office", "市区町村窓口: card events after issue");
        root.Subcommands.Add(office);

        var server = Common.Server();
        var cardFile = Common.Required("--card", "Card file");
        var optionalCard = Common.Optional("--card", "Card file");
        var person = Common.Optional("--person", "Person id (when the card is not at hand)");

        var address = Common.Optional("--address", "New address (住所)");
        var addressAlt = Common.Optional("--address-alt", "New address in another script");
        var name = Common.Optional("--name", "New name (氏名)");
        var nameAlt = Common.Optional("--name-alt", "New name in another script");
        var change = new Command("address-change", "住所・氏名の変更: new card signing key and certificate; the phone signing certificates are revoked")
        {
            server, cardFile, address, addressAlt, name, nameAlt,
        };
        change.Handle(async (p, ct) =>
        {
            if (p.GetValue(address) is null && p.GetValue(name) is null)
            {
                throw new AppException("bad-arguments", "Give --address, --name or both.");
            }

            var path = p.GetValue(cardFile)!;
            using var card = VirtualCard.Open(path);
            var key = card.GenerateReplacementKey(PinKind.Signing);
            var response = await SendAsync(p.GetValue(server)!, "address-change", new AddressChangeRequest(
                null, Serial(card, PinKind.Signing), p.GetValue(name), p.GetValue(nameAlt), p.GetValue(address), p.GetValue(addressAlt), Convert.ToBase64String(key)), ct);
            card.InstallReplacementCertificates([(PinKind.Signing, Convert.FromBase64String(response.SigningCertificate!), Convert.FromBase64String(response.SigningCaCertificate!))]);
            Print(response);
        });
        office.Subcommands.Add(change);

        var renew = new Command("renew", "カードの更新: new card keys and certificates; every phone certificate is revoked") { server, cardFile };
        renew.Handle(async (p, ct) =>
        {
            var path = p.GetValue(cardFile)!;
            using var card = VirtualCard.Open(path);
            var signingKey = card.GenerateReplacementKey(PinKind.Signing);
            var authKey = card.GenerateReplacementKey(PinKind.Auth);
            var response = await SendAsync(p.GetValue(server)!, "renew", new CardRenewalRequest(
                null, Serial(card, PinKind.Auth), Convert.ToBase64String(signingKey), Convert.ToBase64String(authKey)), ct);
            card.InstallReplacementCertificates(
            [
                (PinKind.Signing, Convert.FromBase64String(response.SigningCertificate!), Convert.FromBase64String(response.SigningCaCertificate!)),
                (PinKind.Auth, Convert.FromBase64String(response.AuthCertificate!), Convert.FromBase64String(response.AuthCaCertificate!)),
            ]);
            Print(response);
        });
        office.Subcommands.Add(renew);

        var final = new Option<bool>("--final") { Description = "Make the loss final: revoke the card certificates and the phone certificates" };
        var lose = new Command("lose", "カードの紛失: card certificates on hold (--final: revoked, with the phone certificates)") { server, person, optionalCard, final };
        lose.Handle(async (p, ct) =>
        {
            var (personId, serial) = Target(p.GetValue(person), p.GetValue(optionalCard));
            Print(await SendAsync(p.GetValue(server)!, "lose", new CardLossRequest(personId, serial, p.GetValue(final)), ct));
        });
        office.Subcommands.Add(lose);

        var found = new Command("found", "カードの発見: lift the hold of a card reported lost") { server, person, optionalCard };
        found.Handle(async (p, ct) =>
        {
            var (personId, serial) = Target(p.GetValue(person), p.GetValue(optionalCard));
            Print(await SendAsync(p.GetValue(server)!, "found", new CardLossRequest(personId, serial, false), ct));
        });
        office.Subcommands.Add(found);

        var recordOn = Common.Optional("--server", "Also record the reset on this service (audited)");
        var kind = Common.Required("--kind", "sign (signing password) or auth (auth PIN)");
        var newPin = Secrets.Option("--new-pin", "New password (sign: 6–16 of A–Z and 0–9, both) or PIN (auth: 4 digits); asked twice if omitted");
        var resetPin = new Command("reset-pin", "暗証番号の初期化 at the counter: new PIN, retry counter reset") { cardFile, kind, newPin, recordOn };
        resetPin.Handle(async (p, ct) =>
        {
            var pinKind = p.GetValue(kind) switch
            {
                "sign" => PinKind.Signing,
                "auth" => PinKind.Auth,
                var other => throw new AppException("bad-arguments", $"--kind must be sign or auth, not '{other}'."),
            };
            var pin = Secrets.Require(p, newPin, "新しい暗証番号", "New PIN or password", confirm: true);
            if (!PasswordPolicy.TryNormalize(pinKind, pin, out _, out var error))
            {
                throw new AppException("bad-pin", error);
            }

            var path = p.GetValue(cardFile)!;
            using var card = VirtualCard.Open(path);
            if (p.GetValue(recordOn) is { } url)
            {
                await SendAsync(url, "reset-pin", new PinResetRecordRequest(Serial(card, pinKind), pinKind == PinKind.Signing ? "sign" : "auth"), ct);
            }

            card.ResetPinAtCounter(pinKind, pin);
            Console.WriteLine(pinKind == PinKind.Signing
                ? "署名用電子証明書のパスワードを初期化しました / The signing password was reset (5 tries)."
                : "利用者証明用電子証明書の暗証番号を初期化しました / The auth PIN was reset (3 tries).");
        });
        office.Subcommands.Add(resetPin);
    }

    private static (string? PersonId, string? Serial) Target(string? person, string? cardPath)
    {
        if ((person is null) == (cardPath is null))
        {
            throw new AppException("bad-arguments", "Give exactly one of --person and --card.");
        }

        return cardPath is null ? (person, null) : (null, Serial(VirtualCard.Load(cardPath), PinKind.Auth));
    }

    private static string Serial(VirtualCard card, PinKind kind)
    {
        var der = card.CertificateDer(kind) ?? throw new AppException("no-certificate", "The card has no certificate for that key; issue the card first.");
        using var cert = X509CertificateLoader.LoadCertificate(der);
        return cert.SerialNumber.ToLowerInvariant();
    }

    private static void Print(OfficeEventResponse response)
    {
        Console.WriteLine(response.Message);
        Console.WriteLine($"person: {response.PersonId}");
        foreach (var c in response.CardCertificates.Concat(response.PhoneCertificates))
        {
            Console.WriteLine($"{c.Kind} {c.Serial}: {c.Status}{(c.Reason is null ? string.Empty : $" ({c.Reason})")}");
        }

        foreach (var (label, b64) in new[] { ("new card-sign", response.SigningCertificate), ("new card-auth", response.AuthCertificate) })
        {
            if (b64 is not null)
            {
                using var cert = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(b64));
                Console.WriteLine($"{label} {cert.SerialNumber.ToLowerInvariant()}: valid until {cert.NotAfter:yyyy-MM-dd}");
            }
        }
    }

    private static async Task<OfficeEventResponse> SendAsync(string server, string action, object body, CancellationToken ct)
    {
        using var http = ServerApi.CreateHttpClient(server);
        var key = Environment.GetEnvironmentVariable(ApiKeyVariable);
        return await new ServerApi(http).SendAsync<OfficeEventResponse>(HttpMethod.Post, $"/api/v1/office/{action}", body, string.IsNullOrEmpty(key) ? null : key, ct)
            ?? throw new AppException("bad-response", "The server's answer was empty.");
    }
}
