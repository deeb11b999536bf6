using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using Net.Pkcs11Interop.Common;

namespace MobileJpki.Pki.Tests.Pkcs11;

/// <summary>Keys in a real SoftHSM2 token: generation, signing, the CA on top of it.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed partial class Pkcs11KeyProviderTests(SoftHsm hsm)
{
    private static readonly byte[] Data = "MobileJpki HSM test"u8.ToArray();

    [Fact]
    public void CreateKey_NewObject_IsNonExtractableSensitiveTokenSigningKey()
    {
        var token = SoftHsm.NewLabel("attrs");
        hsm.CreateToken(token);
        using var outside = hsm.OpenOutsideHandle();
        using var provider = new Pkcs11KeyProvider();

        using var key = provider.CreateKey(hsm.KeyUri(token, "ca-sign"));

        Assert.Equal(2048, key.KeySize);
        Assert.Throws<CryptographicException>(() => key.ExportParameters(true));
        Assert.Throws<CryptographicException>(() => key.ExportPkcs8PrivateKey());
        var publicKey = key.ExportParameters(false);
        Assert.Equal(new byte[] { 1, 0, 1 }, publicKey.Exponent);

        using var session = SoftHsm.LoggedInSession(outside, token);
        var factory = session.Factories.ObjectAttributeFactory;
        var handle = Assert.Single(session.FindAllObjects(
            [factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_LABEL, "ca-sign")]));
        var attributes = session.GetAttributeValue(handle,
            [CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, CKA.CKA_TOKEN, CKA.CKA_SIGN, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_ALWAYS_SENSITIVE, CKA.CKA_ID, CKA.CKA_VALUE]);
        Assert.False(attributes[0].GetValueAsBool(), "CKA_EXTRACTABLE");
        Assert.True(attributes[1].GetValueAsBool(), "CKA_SENSITIVE");
        Assert.True(attributes[2].GetValueAsBool(), "CKA_TOKEN");
        Assert.True(attributes[3].GetValueAsBool(), "CKA_SIGN");
        Assert.True(attributes[4].GetValueAsBool(), "CKA_NEVER_EXTRACTABLE");
        Assert.True(attributes[5].GetValueAsBool(), "CKA_ALWAYS_SENSITIVE");
        Assert.Equal("ca-sign"u8.ToArray(), attributes[6].GetValueAsByteArray());
        Assert.True(attributes[7].CannotBeRead, "the private exponent must not be readable");
        session.CloseSession();
    }

    [Fact]
    public void CreateKey_ObjectExists_RefusesWithKeyExists()
    {
        var token = SoftHsm.NewLabel("exists");
        hsm.CreateToken(token);
        using var provider = new Pkcs11KeyProvider();
        var uri = hsm.KeyUri(token, "ca-auth");
        provider.CreateKey(uri).Dispose();

        var error = Assert.Throws<MjpkiException>(() => provider.CreateKey(uri));

        Assert.Equal("key-exists", error.Code);
        Assert.DoesNotContain(SoftHsm.UserPin, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetKey_SecondProvider_FindsSameKeyAndSignaturesVerifyInSoftware()
    {
        var token = SoftHsm.NewLabel("find");
        hsm.CreateToken(token);
        var uri = hsm.KeyUri(token, "ca-sign");
        byte[] modulus;
        using (var creator = new Pkcs11KeyProvider())
        using (var created = creator.CreateKey(uri))
        {
            modulus = created.ExportParameters(false).Modulus!;
        }

        using var provider = new Pkcs11KeyProvider();
        Assert.Null(provider.TryGetKey(hsm.KeyUri(token, "no-such-key")));
        using var key = provider.TryGetKey(uri);

        Assert.NotNull(key);
        Assert.Equal(modulus, key.ExportParameters(false).Modulus);
        var signature = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var software = RSA.Create(key.ExportParameters(false));
        Assert.True(software.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Throws<CryptographicException>(() => key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
    }

    [Fact]
    public void CaHierarchy_HsmKeys_IssuedCertificateVerifiesWithCaAndOpenSsl()
    {
        var token = SoftHsm.NewLabel("ca");
        hsm.CreateToken(token);
        var directory = Path.Combine(hsm.Directory, "ca-" + Guid.NewGuid().ToString("N"));
        var options = new PkiOptions
        {
            DataDirectory = directory,
            BaseUrl = "http://ca.example.test:5080",
            SigningCaKeyUri = hsm.KeyUri(token, "ca-sign"),
            AuthCaKeyUri = hsm.KeyUri(token, "ca-auth", "pin-source=file:" + WritePinFile()),
        };
        using var keys = KeyProviders.ForOptions(options);

        // OpenSSL checks validity against the real clock, so this CA runs on it too.
        using var ca = CaHierarchy.LoadOrCreate(options, keys, TimeProvider.System);
        var issuer = new CertificateIssuer(ca, TimeProvider.System);
        using var leaf = X509CertificateLoader.LoadCertificate(issuer.Issue(PkiTestContext.RequestFor(CertificateKind.CardSigning)));

        Assert.False(Directory.Exists(Path.Combine(directory, "keys")), "no software key may be written");
        var root = ca.CertificateFor(Hierarchy.Signing);
        using (var rootKey = root.GetRSAPublicKey()!)
        {
            Assert.Equal(ca.SignerFor(Hierarchy.Signing).ExportParameters(false).Modulus, rootKey.ExportParameters(false).Modulus);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        var rootPem = Path.Combine(directory, "root.pem");
        var leafPem = Path.Combine(directory, "leaf.pem");
        File.WriteAllText(rootPem, root.ExportCertificatePem());
        File.WriteAllText(leafPem, leaf.ExportCertificatePem());
        var (code, output) = SoftHsm.Run("/usr/bin/openssl", null, "verify", "-x509_strict", "-CAfile", rootPem, leafPem);
        Assert.True(code == 0, output);
        Assert.Equal($"{leafPem}: OK", output.Trim());

        // A server started later with the same URIs and data directory loads the same hierarchy from the token.
        using var keysAgain = KeyProviders.ForOptions(options);
        using var again = CaHierarchy.LoadOrCreate(options, keysAgain, new FakeTimeProvider(PkiTestContext.DefaultNow));
        Assert.Equal(root.RawData, again.CertificateFor(Hierarchy.Signing).RawData);
        Assert.Equal(ca.CertificateFor(Hierarchy.Auth).RawData, again.CertificateFor(Hierarchy.Auth).RawData);
    }

    [Fact]
    public void SignHash_EightThreads_AllSignaturesVerify()
    {
        var token = SoftHsm.NewLabel("parallel");
        hsm.CreateToken(token);
        using var provider = new Pkcs11KeyProvider();
        using var key = provider.CreateKey(hsm.KeyUri(token, "ca-sign"));
        using var verifier = RSA.Create(key.ExportParameters(false));
        var failures = 0;

        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                var data = BitConverter.GetBytes((t * 1000) + i);
                var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                if (!verifier.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(0, failures);
    }

    private string WritePinFile()
    {
        var path = Path.Combine(hsm.Directory, "pin-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, SoftHsm.UserPin + "\n");
        return path;
    }
}
