using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using MobileJpki.App;
using MobileJpki.Core.Attestation;
using MobileJpki.Device;

namespace MobileJpki.Server.Tests.Security;

/// <summary>
/// SE maker roots come from configuration (Ra:SeMakerRoots): outside the sandbox the published sandbox maker root is
/// never trusted, a start without roots fails naming the setting, and several configured makers are trusted at once.
/// </summary>
public sealed class TrustAnchorTests(ProductionServer server) : IClassFixture<ProductionServer>
{
    [Fact]
    public async Task Apply_SandboxMakerPhoneOnProductionServer_BadAttestationNothingStored()
    {
        var card = await server.IssueKeyedCardAsync("攻撃 花子");
        var before = await server.CountsAsync();

        // A phone as `mjpki phone new` makes it: its SE certificate is issued by the sandbox maker, whose key is public.
        var app = server.NewApp(VirtualPhone.Create("pixel-8", server.Clock));
        server.ToOpening();
        var refused = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));

        Assert.Equal("bad-attestation", refused.Code);
        Assert.Equal(400, refused.HttpStatus);
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task Apply_PhoneOfUnconfiguredMaker_BadAttestation()
    {
        var card = await server.IssueKeyedCardAsync("未知 次郎");
        var before = await server.CountsAsync();
        var app = server.NewApp(VirtualPhone.Create("pixel-8", server.Clock, TestSeMaker.Unknown.Maker));
        server.ToOpening();

        var refused = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));

        Assert.Equal("bad-attestation", refused.Code);
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task ApplyAndRegister_PhonesOfBothConfiguredMakers_IssuedAndActive()
    {
        foreach (var (maker, name) in new[] { (TestSeMaker.Primary, "正規 一郎"), (TestSeMaker.Secondary, "正規 二郎") })
        {
            var (phone, app, _) = await server.RegisteredPhoneAsync(maker, name);

            var status = await app.SyncAsync(CancellationToken.None);
            Assert.Equal(2, status.Certificates.Count(c => c.Status == "active"));

            // The SE's device certificate is the configured maker's, not the sandbox's.
            using var device = phone.SecureElement.DeviceCertificate;
            Assert.Equal(maker.Root.SubjectName.Name, device.IssuerName.Name);
        }
    }

    [Fact]
    public void Start_ProductionWithoutRoots_FailsNamingTheSetting()
    {
        using var bare = new Configured(r => { });

        var failure = Assert.ThrowsAny<Exception>(() => bare.Services);

        var message = Unwrap(failure);
        Assert.Contains("Ra:SeMakerRoots is empty", message, StringComparison.Ordinal);
        Assert.Contains("Sandbox:Enabled=false", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SandboxRootConfiguredOutsideSandbox_Fails()
    {
        using var sandboxRoot = SeMakerRoots.Default;
        using var configured = new Configured(r => r("Ra:SeMakerRoots:0", sandboxRoot.ExportCertificatePem()));

        var message = Unwrap(Assert.ThrowsAny<Exception>(() => configured.Services));

        Assert.Contains("Ra:SeMakerRoots:0 is the sandbox SE maker root", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SeveralWrongRoots_EveryOneNamed()
    {
        using var key = RSA.Create(2048);
        using var leaf = new CertificateRequest("CN=Not a CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(40), DateTimeOffset.UnixEpoch.AddYears(100));
        using var configured = new Configured(r =>
        {
            r("Ra:SeMakerRoots:0", "/nonexistent/se-maker-root.pem");
            r("Ra:SeMakerRoots:1", leaf.ExportCertificatePem());
            r("Ra:SeMakerRoots:2", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----");
            r("Ra:SeMakerRoots:3", TestSeMaker.Primary.RootPem);
        });

        var message = Unwrap(Assert.ThrowsAny<Exception>(() => configured.Services));

        Assert.Contains("Ra:SeMakerRoots:0: the file '/nonexistent/se-maker-root.pem' cannot be read", message, StringComparison.Ordinal);
        Assert.Contains("Ra:SeMakerRoots:1 ('CN=Not a CA') is not a CA certificate", message, StringComparison.Ordinal);
        Assert.Contains("Ra:SeMakerRoots:2 holds no PEM certificate", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Ra:SeMakerRoots:3", message, StringComparison.Ordinal);
    }

    private static string Unwrap(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException)
            {
                return e.Message;
            }
        }

        throw new Xunit.Sdk.XunitException("the start did not fail on options validation: " + failure);
    }

    /// <summary>A production server with only the settings a test gives (its start is what the test watches).</summary>
    private sealed class Configured(Action<Action<string, string>> settings) : MjpkiServer
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Production");
            builder.UseSetting("Sandbox:Enabled", "false");
            settings((key, value) => builder.UseSetting(key, value));
        }
    }
}
