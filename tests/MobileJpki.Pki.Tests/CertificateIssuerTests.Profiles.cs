using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>What each issued kind contains.</summary>
public sealed partial class CertificateIssuerTests : IDisposable
{
    private readonly PkiTestContext _pki = new();

    public static TheoryData<CertificateKind> AllKinds => [CertificateKind.CardSigning, CertificateKind.CardAuth, CertificateKind.PhoneSigning, CertificateKind.PhoneAuth];

    public void Dispose() => _pki.Dispose();

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Issue_EachKind_CarriesTheProfileExtensions(CertificateKind kind)
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(kind));
        var signing = kind.HierarchyOf() == Hierarchy.Signing;

        Assert.Equal(3, cert.Version);
        Assert.Equal("1.2.840.113549.1.1.11", cert.SignatureAlgorithm.Value);

        var keyUsage = Assert.Single(cert.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(keyUsage.Critical);
        Assert.Equal(
            signing ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation : X509KeyUsageFlags.DigitalSignature,
            keyUsage.KeyUsages);

        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault();
        if (signing)
        {
            Assert.Null(eku);
        }
        else
        {
            Assert.NotNull(eku);
            Assert.Equal(["1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        }

        Assert.Equal([Oids.PolicyFor(kind)], Der.Policies(cert));

        var constraints = Assert.Single(cert.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.Critical);
        Assert.False(constraints.CertificateAuthority);

        var ski = Assert.Single(cert.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.Equal(new X509SubjectKeyIdentifierExtension(cert.PublicKey, false).SubjectKeyIdentifier, ski.SubjectKeyIdentifier);
        var aki = Assert.Single(cert.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        var caSki = _pki.Ca.CertificateFor(kind.HierarchyOf()).Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
        Assert.Equal(caSki.SubjectKeyIdentifierBytes.ToArray(), aki.KeyIdentifier!.Value.ToArray());
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Issue_EachKind_PointsAtItsHierarchysUrls(CertificateKind kind)
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(kind));
        var wire = kind.HierarchyOf() == Hierarchy.Signing ? "sign" : "auth";

        var aia = Assert.Single(cert.Extensions.OfType<X509AuthorityInformationAccessExtension>());
        Assert.Equal([$"http://ca.example.test:5080/ca/{wire}.cer"], aia.EnumerateCAIssuersUris());
        Assert.Equal([$"http://ca.example.test:5080/ocsp/{wire}"], aia.EnumerateOcspUris());
        Assert.Equal([$"http://ca.example.test:5080/crl/{wire}.crl"], Der.CrlUrls(cert));
    }

    [Theory]
    [InlineData(CertificateKind.CardSigning)]
    [InlineData(CertificateKind.PhoneSigning)]
    public void Issue_SigningKind_RoundTripsBasic4InfoInJapanese(CertificateKind kind)
    {
        var person = new Basic4Info("山田 花子", null, Gender.Female, new DateOnly(1985, 12, 31), "東京都千代田区霞が関2丁目1番2号　ＡＢＣマンション１０１号", null);

        using var cert = _pki.Issue(PkiTestContext.RequestFor(kind, person: person));

        var san = cert.Extensions[Basic4InfoCodec.SubjectAltNameOid];
        Assert.NotNull(san);
        Assert.False(san.Critical);
        Assert.True(Basic4InfoCodec.TryRead(cert, out var read));
        Assert.Equal(person, read);
    }

    [Fact]
    public void Issue_SigningKind_RoundTripsAlternativeNameAndAddress()
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.CardSigning));

        Assert.True(Basic4InfoCodec.TryRead(cert, out var read));
        Assert.Equal(PkiTestContext.Yamada, read);
    }

    [Theory]
    [InlineData(CertificateKind.CardAuth)]
    [InlineData(CertificateKind.PhoneAuth)]
    public void Issue_AuthKind_HasNoSubjectAltName(CertificateKind kind)
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(kind));

        Assert.Null(cert.Extensions[Basic4InfoCodec.SubjectAltNameOid]);
        Assert.False(Basic4InfoCodec.TryRead(cert, out var read));
        Assert.Null(read);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Issue_EachKind_SubjectIsARandomHandleWithoutPersonalData(CertificateKind kind)
    {
        using var first = _pki.Issue(PkiTestContext.RequestFor(kind));
        using var second = _pki.Issue(PkiTestContext.RequestFor(kind));

        var rdns = first.SubjectName.EnumerateRelativeDistinguishedNames().Select(r => (r.GetSingleElementType().Value, r.GetSingleElementValue())).ToList();
        Assert.Equal(4, rdns.Count);
        Assert.Equal(("2.5.4.6", "JP"), rdns[0]);
        Assert.Equal(("2.5.4.10", "JPKI Sandbox"), rdns[1]);
        Assert.Equal("2.5.4.11", rdns[2].Item1);
        Assert.Matches("^[0-9a-f]{20}$", rdns[3].Item2);
        Assert.DoesNotContain("山田", first.Subject, StringComparison.Ordinal);
        Assert.NotEqual(first.Subject, second.Subject);
        Assert.Equal(_pki.Ca.CertificateFor(kind.HierarchyOf()).Subject, first.Issuer);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Issue_EachKind_SignatureVerifiesWithTheRootKey(CertificateKind kind)
    {
        var der = _pki.Issuer.Issue(PkiTestContext.RequestFor(kind));
        var root = _pki.Ca.CertificateFor(kind.HierarchyOf());

        var (tbs, algorithm, signature) = Der.SplitCertificate(der);
        using var rootKey = root.GetRSAPublicKey()!;
        Assert.True(rootKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(Convert.FromHexString("300D06092A864886F70D01010B0500"), algorithm);

        using var cert = X509CertificateLoader.LoadCertificate(der);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _pki.Time.GetUtcNow().AddDays(1).UtcDateTime;
        Assert.True(chain.Build(cert), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));

        // A different root must not verify it: the signature really binds to this root's key.
        var otherRoot = _pki.Ca.CertificateFor(kind.HierarchyOf() == Hierarchy.Signing ? Hierarchy.Auth : Hierarchy.Signing);
        using var otherKey = otherRoot.GetRSAPublicKey()!;
        Assert.False(otherKey.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Issue_Serial_Is16PositiveBytesMatchingPrepared()
    {
        var prepared = _pki.Issuer.Prepare(PkiTestContext.RequestFor(CertificateKind.CardAuth));
        using var cert = X509CertificateLoader.LoadCertificate(_pki.Issuer.Sign(prepared));

        var serial = cert.SerialNumberBytes.ToArray();
        Assert.Equal(16, serial.Length);
        Assert.True(serial[0] is > 0 and < 0x80);
        Assert.Equal(prepared.Serial, serial);
        Assert.Equal(32, prepared.SerialHex.Length);
        Assert.Equal(prepared.SerialHex, cert.SerialNumber.ToLowerInvariant());
        Assert.Equal(prepared.TbsCertificate, Der.SplitCertificate(cert.RawData).Tbs);
    }

    [Fact]
    public void Issue_RsaKey_IsTheRequestedOne()
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.PhoneAuth));

        Assert.Equal(PkiTestContext.SubjectKey, cert.PublicKey.ExportSubjectPublicKeyInfo());
    }
}
