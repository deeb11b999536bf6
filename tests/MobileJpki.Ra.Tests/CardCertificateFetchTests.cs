using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Tests;

/// <summary>An unauthenticated application must not make the RA fetch URLs named in the attacker's certificate.</summary>
public sealed class CardCertificateFetchTests
{
    [Fact]
    public async Task AcceptAsync_ForeignCardCertificateWithAiaUrl_RejectedWithoutFetchingIt()
    {
        using var h = new RaHarness();
        await h.IssueCardAsync(RaHarness.Yamada, 0);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var rootKey = TestKeys.Rsa(60);
            var rootRequest = new CertificateRequest("CN=Attacker CA, O=JPKI, C=JP", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var attackerRoot = rootRequest.CreateSelfSigned(h.Now.AddDays(-1), h.Now.AddYears(5));

            var holderKey = TestKeys.Rsa(62);
            var leafRequest = new CertificateRequest("CN=card, O=JPKI Sandbox, C=JP", holderKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            leafRequest.CertificateExtensions.Add(Der.PoliciesExtension(Oids.PolicyCardSigning));
            leafRequest.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [$"http://127.0.0.1:{port}/issuer.cer"]));
            using var card = leafRequest.Create(attackerRoot, h.Now.AddHours(-1), h.Now.AddYears(1), RandomNumberGenerator.GetBytes(16));
            var cms = Cms.Sign(new TestPhone("phoneA", 0).Apply(h.Now, "sign").ToJsonBytes(), card, holderKey);

            var ex = await Assert.ThrowsAsync<MjpkiException>(() => h.Ra.AcceptAsync(cms, CancellationToken.None));

            Assert.Equal("foreign-card-certificate", ex.Code);
            Assert.False(listener.Pending(), "the RA connected to a URL taken from an untrusted certificate");
        }
        finally
        {
            listener.Stop();
        }
    }
}
