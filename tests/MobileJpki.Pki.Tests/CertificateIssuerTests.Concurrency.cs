using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>One issuer and one shared CA key serving parallel requests.</summary>
public sealed partial class CertificateIssuerTests
{
    [Fact]
    public void Issue_InParallel_AllCertificatesVerifyAndSerialsDiffer()
    {
        var results = new ConcurrentBag<byte[]>();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            results.Add(_pki.Issuer.Issue(PkiTestContext.RequestFor((CertificateKind)((i % 4) + 1)))));

        Assert.Equal(64, results.Count);
        var serials = new HashSet<string>(StringComparer.Ordinal);
        foreach (var der in results)
        {
            var (tbs, _, signature) = Der.SplitCertificate(der);
            using var cert = X509CertificateLoader.LoadCertificate(der);
            Assert.True(serials.Add(cert.SerialNumber));
            var hierarchy = cert.Issuer.Contains("digital signature", StringComparison.Ordinal) ? Hierarchy.Signing : Hierarchy.Auth;
            using var rootKey = _pki.Ca.CertificateFor(hierarchy).GetRSAPublicKey()!;
            Assert.True(rootKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        Assert.Equal(64, _pki.Keys.Signatures);
    }
}
