using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core.Tests;

public sealed class CertificatePoliciesTests
{
    [Theory]
    [InlineData(CertificateKind.CardSigning)]
    [InlineData(CertificateKind.CardAuth)]
    [InlineData(CertificateKind.PhoneSigning)]
    [InlineData(CertificateKind.PhoneAuth)]
    public void KindOf_CertificateWithOurPolicy_ReturnsThatKind(CertificateKind kind)
    {
        using var cert = WithPolicies(Oids.PolicyFor(kind));
        Assert.Equal(kind, CertificatePolicies.KindOf(cert));
        Assert.True(CertificatePolicies.Has(cert, Oids.PolicyFor(kind)));
    }

    [Fact]
    public void KindOf_ForeignPolicyOnly_ReturnsNull()
    {
        using var cert = WithPolicies("1.2.392.200149.8.5.1.1.10");
        Assert.Null(CertificatePolicies.KindOf(cert));
    }

    [Fact]
    public void Has_MalformedExtension_ReturnsFalse()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509Extension("2.5.29.32", new byte[] { 0x30, 0x03, 0x30, 0x01, 0x06 }, false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        Assert.False(CertificatePolicies.Has(cert, Oids.PolicyCardAuth));
    }

    private static X509Certificate2 WithPolicies(params string[] oids)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var oid in oids)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                }
            }
        }

        req.CertificateExtensions.Add(new X509Extension("2.5.29.32", writer.Encode(), false));
        return req.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
    }
}
