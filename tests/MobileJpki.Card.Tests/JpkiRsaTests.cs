using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

public class JpkiRsaTests
{
    private readonly VirtualCard card = Fresh();
    private readonly JpkiClient client;
    private readonly X509Certificate2 signingCert;

    public JpkiRsaTests()
    {
        client = new JpkiClient(card.Applet);
        client.Verify(PinKind.Signing, SigningPassword);
        signingCert = client.ReadCertificate(JpkiFiles.SigningCertificate);
    }

    private JpkiRsa SigningKey()
    {
        using var publicKey = signingCert.GetRSAPublicKey()!;
        return new JpkiRsa(client, PinKind.Signing, publicKey.ExportParameters(false));
    }

    [Theory]
    [InlineData("SHA256")]
    [InlineData("SHA384")]
    [InlineData("SHA512")]
    [InlineData("SHA1")]
    public void SignData_VerifiesWithCertificatePublicKey(string hash)
    {
        var algorithm = new HashAlgorithmName(hash);
        using var key = SigningKey();
        var data = "転出届"u8.ToArray();
        var signature = key.SignData(data, algorithm, RSASignaturePadding.Pkcs1);
        using var publicKey = signingCert.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyData(data, signature, algorithm, RSASignaturePadding.Pkcs1));
        Assert.Equal(2048, key.KeySize);
    }

    [Fact]
    public void SignHash_PssOrWithoutPin_Throws()
    {
        using var key = SigningKey();
        Assert.Throws<CryptographicException>(() => key.SignHash(new byte[32], HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        client.SelectAp();
        Assert.Throws<CryptographicException>(() => key.SignHash(new byte[32], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void ExportParameters_PrivateRefused_PublicGiven()
    {
        using var key = SigningKey();
        Assert.Throws<CryptographicException>(() => key.ExportParameters(true));
        Assert.Equal(card.SigningPublicKeyInfo, key.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void CmsSigner_SignedCms_CheckSignaturePasses()
    {
        using var key = SigningKey();
        var content = new ContentInfo("利用申請"u8.ToArray());
        var cms = new SignedCms(content, detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signingCert, key)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        cms.ComputeSignature(signer);
        var encoded = cms.Encode();

        var decoded = new SignedCms();
        decoded.Decode(encoded);
        decoded.CheckSignature(verifySignatureOnly: true);
        Assert.Equal(signingCert.Thumbprint, decoded.SignerInfos[0].Certificate!.Thumbprint);
        Assert.Equal(content.Content, decoded.ContentInfo.Content);
    }

    [Fact]
    public void CertificateRequest_WithSignatureGenerator_ProducesVerifiableCsr()
    {
        using var key = SigningKey();
        var request = new CertificateRequest(new X500DistinguishedName("CN=Phone Applicant"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var csr = request.CreateSigningRequest(X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1));
        var loaded = CertificateRequest.LoadSigningRequest(csr, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        Assert.Equal(card.SigningPublicKeyInfo, loaded.PublicKey.ExportSubjectPublicKeyInfo());
    }
}
