using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Cli;

/// <summary><c>mjpki demo</c>: the whole seed flow against a running server, checked at the end.</summary>
internal static class DemoCommand
{
    public static void Add(RootCommand root)
    {
        var server = Common.Server();
        var keep = Common.Optional("--dir", "Keep the card and phone files in this directory");
        var demo = new Command("demo", "Make a card and a phone, apply, wait, register, and print the two phone certificates") { server, keep };
        demo.Handle(async (p, ct) => await RunAsync(p.GetValue(server)!, p.GetValue(keep), Console.Out, ct));
        root.Subcommands.Add(demo);
    }

    public static async Task RunAsync(string serverUrl, string? directory, TextWriter output, CancellationToken ct)
    {
        var api = Common.Api(serverUrl);
        var dir = directory ?? Directory.CreateTempSubdirectory("mjpki-demo-").FullName;
        PrivateFiles.CreateDirectory(dir);
        var cardPath = Path.Combine(dir, "card.json");
        var phonePath = Path.Combine(dir, "phone.json");

        output.WriteLine($"== 1. 市区町村窓口でマイナンバーカードを交付 / The municipal office issues a card ({cardPath})");
        var card = VirtualCard.CreateBlank("DEMO2023", "1234");
        var issued = await api.IssueCardAsync(
            new CardIssueRequest("デジタル 太郎", null, "male", "1985-04-01", "東京都千代田区紀尾井町1-3", null,
                Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            ct);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));
        card.Save(cardPath);
        card = VirtualCard.Open(cardPath);

        var model = PhoneModels.SupportedModels.First();
        output.WriteLine($"== 2. 対応スマートフォンを用意 / A supported phone: {model.Maker} {model.Name} ({phonePath})");
        VirtualPhone.Create(model.Id, TimeProvider.System).Save(phonePath);
        var phone = VirtualPhone.Open(phonePath);
        var app = new PortalApp(phone, () => phone.Save(phonePath), api, new ConsoleScreens(output, interactive: false), TimeProvider.System);

        output.WriteLine("== 3. 利用申請 / Apply");
        var receipt = await app.ApplyAsync(card.Applet, new ApplyOptions
        {
            CardPassword = "DEMO2023",
            NewSigningPassword = "PHONE2023",
            NewAuthPin = "5678",
            Confirmed = true,
        }, ct);

        if (receipt.ProcessAfter > receipt.AcceptedAt)
        {
            output.WriteLine();
            output.WriteLine($"受付時間外（19:30以降）のため、サンドボックスの時計を次の受付開始（{receipt.ProcessAfter.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST）まで進めます。");
            output.WriteLine("The issuance window is closed, so the demo advances the sandbox clock to the next opening.");
            await api.ChangeClockAsync(new ClockChange(null, null, true), ct);
        }

        output.WriteLine();
        output.WriteLine("== 4. 発行を待つ / Wait for issuance and the push notification");
        await app.WaitAsync(TimeSpan.FromSeconds(60), ct);

        output.WriteLine();
        output.WriteLine("== 5. 利用登録 / Register");
        var certs = await app.RegisterAsync(ct);

        output.WriteLine();
        output.WriteLine("== 6. スマホ用電子証明書 / The phone certificates");
        await CheckAsync(api, phone, certs, ct);
        foreach (var cert in certs)
        {
            output.WriteLine(cert.ExportCertificatePem());
        }

        output.WriteLine("デモは成功しました / Demo succeeded: both phone certificates chain to the service's CAs, match the keys in the phone's secure element and are active.");
    }

    /// <summary>Checks the result the way a relying party would, and that the server calls them active.</summary>
    private static async Task CheckAsync(ServerApi api, VirtualPhone phone, IReadOnlyList<X509Certificate2> certs, CancellationToken ct)
    {
        var kinds = certs.Select(CertificatePolicies.KindOf).ToHashSet();
        if (certs.Count != 2 || !kinds.Contains(CertificateKind.PhoneSigning) || !kinds.Contains(CertificateKind.PhoneAuth))
        {
            throw new AppException("demo-failed", "Expected one phone signing and one phone auth certificate.");
        }

        // Verify at the service's clock: in the sandbox it may be ahead of this machine's.
        DateTimeOffset at;
        try
        {
            at = (await api.GetClockAsync(ct)).Now;
        }
        catch (AppException)
        {
            at = TimeProvider.System.GetUtcNow();
        }

        foreach (var cert in certs)
        {
            var hierarchy = CertificatePolicies.KindOf(cert)!.Value.HierarchyOf();
            using var ca = X509CertificateLoader.LoadCertificate(await api.GetBytesAsync($"/ca/{hierarchy.WireName()}.cer", ct));
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = at.UtcDateTime;
            if (!chain.Build(cert))
            {
                throw new AppException("demo-failed", $"The {hierarchy.WireName()} certificate does not chain to the CA: {string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation))}");
            }
        }

        var inSe = PortalApp.ReadCertificates(phone);
        if (!certs.All(c => inSe.Any(s => s.RawData.AsSpan().SequenceEqual(c.RawData))))
        {
            throw new AppException("demo-failed", "The secure element does not hold the registered certificates.");
        }

        var status = await new PortalApp(phone, () => { }, api, new ConsoleScreens(TextWriter.Null, false), TimeProvider.System).SyncAsync(ct);
        if (certs.Any(c => status.Certificates.FirstOrDefault(v => v.Serial == c.SerialNumber.ToLowerInvariant())?.Status != "active"))
        {
            throw new AppException("demo-failed", "The server does not list both certificates as active.");
        }
    }
}
