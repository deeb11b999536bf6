using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Ra.Tests;

/// <summary>The hand-made RFC 5652 §5.4 check gives SignerInfo.CheckSignature's verdict, for sha256WithRSAEncryption only.</summary>
public sealed class CmsSignedApplicationTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Content = """{"version":1,"hello":"世界"}"""u8.ToArray();

    private readonly RSA _key = TestKeys.Rsa(70);
    private readonly X509Certificate2 _cert;

    public CmsSignedApplicationTests()
    {
        var request = new CertificateRequest("CN=Card Holder, O=Test, C=JP", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _cert = request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(1));
    }

    public void Dispose() => _cert.Dispose();

    [Theory]
    [InlineData(false, SubjectIdentifierType.IssuerAndSerialNumber)]
    [InlineData(true, SubjectIdentifierType.IssuerAndSerialNumber)]
    [InlineData(false, SubjectIdentifierType.SubjectKeyIdentifier)]
    [InlineData(true, SubjectIdentifierType.SubjectKeyIdentifier)]
    public void Verify_Genuine_AgreesWithCheckSignature(bool signedAttributes, SubjectIdentifierType sid)
    {
        var cms = Sign(Content, signer => signer.SignerIdentifierType = sid, signedAttributes);

        var (ours, reference) = Both(cms);
        Assert.True(reference);
        Assert.True(ours);
        Assert.True(CmsSignedApplication.TryRead(cms, out var parsed));
        Assert.Equal(Content, parsed!.Content);
        Assert.Equal(CmsSignedApplication.DataOid, parsed.ContentType);
        Assert.Equal(_cert.RawData, parsed.FindSignerCertificate()!.Der);
        Assert.Equal(signedAttributes, parsed.SignedAttributesPresent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Verify_TamperedContent_Refused(bool signedAttributes)
    {
        var cms = Sign(Content, _ => { }, signedAttributes);
        var at = cms.AsSpan().IndexOf("hello"u8);
        cms[at] ^= 0x01;

        var (ours, reference) = Both(cms);
        Assert.False(reference);
        Assert.False(ours);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Verify_FlippedSignatureBit_Refused(bool signedAttributes)
    {
        var cms = Sign(Content, _ => { }, signedAttributes);
        cms[^1] ^= 0x01;

        var (ours, reference) = Both(cms);
        Assert.False(reference);
        Assert.False(ours);
    }

    [Fact]
    public void Verify_TamperedSignedAttribute_Refused()
    {
        // The signing time is a signed attribute: changing one digit of it must break the signature, not the digest check.
        var cms = Sign(Content, _ => { }, signedAttributes: true);
        var time = cms.AsSpan().IndexOf("300601"u8);
        Assert.True(time > 0);
        cms[time + 5] = (byte)'2';

        var (ours, reference) = Both(cms);
        Assert.False(reference);
        Assert.False(ours);
    }

    [Fact]
    public void Verify_OtherKey_Refused()
    {
        var cms = Sign(Content, _ => { }, signedAttributes: true);
        Assert.True(CmsSignedApplication.TryRead(cms, out var parsed));
        Assert.False(parsed!.VerifySignature(TestKeys.Rsa(71)));
        Assert.True(parsed.VerifySignature(_key));
    }

    [Theory]
    [InlineData("1.3.14.3.2.26")] // SHA-1
    [InlineData("2.16.840.1.101.3.4.2.2")] // SHA-384
    public void Verify_DigestOtherThanSha256_Refused(string digestOid)
    {
        var cms = Sign(Content, signer => signer.DigestAlgorithm = new Oid(digestOid), signedAttributes: true);

        var (ours, reference) = Both(cms);
        Assert.True(reference, "the message itself is sound");
        Assert.False(ours);
    }

    [Fact]
    public void Verify_RsaPss_Refused()
    {
        var cms = Sign(Content, _ => { }, signedAttributes: true, RSASignaturePadding.Pss);

        var (ours, reference) = Both(cms);
        Assert.True(reference, "the message itself is sound");
        Assert.False(ours);
    }

    [Fact]
    public void TryRead_TwoSignersOrNoCertificate_Reported()
    {
        var signed = new SignedCms(new ContentInfo(Content), detached: false);
        signed.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, _cert, _key) { IncludeOption = X509IncludeOption.None });
        Assert.True(CmsSignedApplication.TryRead(signed.Encode(), out var parsed));
        Assert.Equal(1, parsed!.SignerCount);
        Assert.Null(parsed.FindSignerCertificate());

        signed.ComputeSignature(new CmsSigner(SubjectIdentifierType.SubjectKeyIdentifier, _cert, _key) { IncludeOption = X509IncludeOption.EndCertOnly });
        Assert.True(CmsSignedApplication.TryRead(signed.Encode(), out parsed));
        Assert.Equal(2, parsed!.SignerCount);

        Assert.False(CmsSignedApplication.TryRead(RandomNumberGenerator.GetBytes(64), out _));
        Assert.False(CmsSignedApplication.TryRead(Content, out _));
    }

    private (bool Ours, bool Reference) Both(byte[] cms)
    {
        bool reference;
        var signed = new SignedCms();
        try
        {
            signed.Decode(cms);
            signed.SignerInfos[0].CheckSignature(verifySignatureOnly: true);
            reference = true;
        }
        catch (CryptographicException)
        {
            reference = false;
        }

        var ours = CmsSignedApplication.TryRead(cms, out var parsed)
            && parsed!.FindSignerCertificate() is { } cert
            && cert.ImportPublicKey() is RSA key
            && parsed.VerifySignature(key);
        return (ours, reference);
    }

    private byte[] Sign(byte[] content, Action<CmsSigner> configure, bool signedAttributes, RSASignaturePadding? padding = null)
    {
        var cms = new SignedCms(new ContentInfo(content), detached: false);
        var signer = padding is null
            ? new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, _cert, _key)
            : new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, _cert, _key, padding);
        signer.IncludeOption = X509IncludeOption.EndCertOnly;
        signer.DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1");
        if (signedAttributes)
        {
            signer.SignedAttributes.Add(new Pkcs9SigningTime(Now.UtcDateTime));
        }

        configure(signer);
        cms.ComputeSignature(signer);
        return cms.Encode();
    }
}
