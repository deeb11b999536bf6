using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests.Security;

/// <summary>
/// A secure-element maker of the tests' own: an RSA root (CA) whose key only the tests hold, and the
/// <see cref="SecureElementMaker"/> that makes phones with it. A server trusts it only when configured with its root.
/// </summary>
public sealed class TestSeMaker
{
    private TestSeMaker(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}, O=Test SE Maker, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var from = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var root = request.CreateSelfSigned(from, from.AddYears(60));
        Root = X509CertificateLoader.LoadCertificate(root.RawData);
        RootPem = Root.ExportCertificatePem();
        Maker = new SecureElementMaker(Root, key);
    }

    /// <summary>The maker the production test servers are configured with (as a PEM file).</summary>
    public static TestSeMaker Primary { get; } = new("Primary Test SE Maker Root");

    /// <summary>A second maker, configured as inline PEM beside <see cref="Primary"/>.</summary>
    public static TestSeMaker Secondary { get; } = new("Secondary Test SE Maker Root");

    /// <summary>A maker no server is configured with.</summary>
    public static TestSeMaker Unknown { get; } = new("Unknown Test SE Maker Root");

    public X509Certificate2 Root { get; }

    public string RootPem { get; }

    public SecureElementMaker Maker { get; }
}

/// <summary>
/// The real server in a production configuration: Production environment, sandbox off (no simulator, no sandbox clock
/// endpoint, the sandbox SE maker untrusted), SE maker roots configured (<see cref="TestSeMaker.Primary"/> as a file,
/// <see cref="TestSeMaker.Secondary"/> inline), every API key set, /metrics restricted. The sandbox clock service is
/// still the server's TimeProvider, so tests move it directly to reach the issuance window.
/// </summary>
public class ProductionServer : MjpkiServer
{
    public const string OfficeKey = "office-key-0123456789abcdef";
    public const string RpAdminKey = "rp-admin-key-0123456789abcdef";
    public const string TerminalKey = "terminal-key-0123456789abcdef";
    public const string MetricsKey = "metrics-key-0123456789abcdef";
    public const string KioskId = "kiosk-1";
    public const string HospitalId = "hospital-1";
    public const string SupervisorName = "chief";
    public const string SupervisorPassword = "Supervisor-Password-2030!";

    public ProductionServer()
    {
        RootFile = Path.Combine(Root, "se-maker-roots.pem");
        File.WriteAllText(RootFile, TestSeMaker.Primary.RootPem);
    }

    /// <summary>The PEM file <c>Ra:SeMakerRoots:0</c> names.</summary>
    public string RootFile { get; }

    /// <summary>A client of the office API with its key.</summary>
    public ServerApi OfficeApi => new(CreateClient());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.UseSetting("Sandbox:Enabled", "false");
        builder.UseSetting("Ra:SeMakerRoots:0", RootFile);
        builder.UseSetting("Ra:SeMakerRoots:1", TestSeMaker.Secondary.RootPem);
        builder.UseSetting("Office:ApiKey", OfficeKey);
        builder.UseSetting("RelyingParties:AdminKey", RpAdminKey);
        builder.UseSetting($"Portal:Kiosks:{KioskId}", TerminalKey);
        builder.UseSetting($"Portal:Hospitals:{HospitalId}", TerminalKey);
        builder.UseSetting("Telemetry:MetricsKey", MetricsKey);
        builder.UseSetting("Telemetry:MetricsNetworks:0", "10.0.0.0/8");

        // No scheduled probe during a test: the one at start is the only signature /readyz may rely on.
        builder.UseSetting("Telemetry:ReadinessProbeInterval", "00:10:00");
        builder.UseSetting("Hotline:BootstrapSupervisor:Name", SupervisorName);
        builder.UseSetting("Hotline:BootstrapSupervisor:Password", SupervisorPassword);
    }

    /// <summary>市区町村窓口 with the office key: a blank card gets its two certificates.</summary>
    public async Task<TestCard> IssueKeyedCardAsync(string name)
    {
        var card = VirtualCard.CreateBlank(TestCard.DefaultPassword, "1234");
        var issued = await OfficeApi.SendAsync<CardIssueResponse>(
            HttpMethod.Post,
            "/api/v1/office/cards",
            new CardIssueRequest(name, null, "female", "1990-02-03", "東京都千代田区永田町1-7", null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            OfficeKey,
            CancellationToken.None);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));
        return new TestCard(card, TestCard.DefaultPassword, issued);
    }

    /// <summary>The sandbox clock service moved into the issuance window (the endpoint is not served here).</summary>
    public void ToOpening()
    {
        var window = Services.GetRequiredService<ProcessingWindow>();
        var now = Clock.GetUtcNow();
        if (!window.IsOpen(now))
        {
            Clock.Set(window.NextOpening(now));
        }
    }

    /// <summary>Apply → wait → register a phone of <paramref name="maker"/>, inside the window.</summary>
    public async Task<(VirtualPhone Phone, PortalApp App, TestCard Card)> RegisteredPhoneAsync(TestSeMaker maker, string name)
    {
        var card = await IssueKeyedCardAsync(name);
        var phone = VirtualPhone.Create("pixel-8", Clock, maker.Maker);
        var app = NewApp(phone);
        ToOpening();
        await app.ApplyAsync(card.Card.Applet, Answers(card.Password), CancellationToken.None);
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        await app.RegisterAsync(CancellationToken.None);
        return (phone, app, card);
    }
}
