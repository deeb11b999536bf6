using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Core.Tests;

/// <summary>The DER-level key attestation check: same verdicts as before, with the device certificate cached per root.</summary>
public sealed class DerAttestationTests
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<RSA> RootKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> DeviceKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> OtherDeviceKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> PhoneKey = new(() => RSA.Create(2048));

    private readonly byte[] _challenge = RandomNumberGenerator.GetBytes(32);
    private readonly X509Certificate2 _root = MakeCa("CN=Test SE Maker Root, O=Test, C=JP", RootKey.Value, null, Now.AddYears(-1), Now.AddYears(10));
    private readonly X509Certificate2 _device;
    private readonly X509Certificate2 _otherDevice;

    public DerAttestationTests()
    {
        _device = MakeCa("CN=Test SE, SERIALNUMBER=SE-0001", DeviceKey.Value, (_root, RootKey.Value), Now.AddYears(-1), Now.AddYears(5));
        _otherDevice = MakeCa("CN=Test SE, SERIALNUMBER=SE-0001", OtherDeviceKey.Value, (_root, RootKey.Value), Now.AddYears(-1), Now.AddYears(5));
    }

    private static byte[] Spki => PhoneKey.Value.ExportSubjectPublicKeyInfo();

    [Fact]
    public void TryVerify_GenuineChain_AcceptedAndDeviceCachedOnce()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, Spki, Now, out var data, out var error), error);
            Assert.Equal("SE-0001", data!.SecureElementId);
        }

        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData, _root.RawData], trust, _challenge, Spki, Now, out _, out var withRoot), withRoot);
        Assert.Equal(1, trust.CachedDeviceCount);
    }

    [Fact]
    public void TryVerify_TamperedLeaf_Rejected()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value);
        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, Spki, Now, out _, out _));

        var badSignature = leaf.ToArray();
        badSignature[^5] ^= 0x01;
        Assert.False(KeyAttestationVerifier.TryVerify([badSignature, _device.RawData], trust, _challenge, Spki, Now, out _, out var error));
        Assert.Equal("key attestation certificate: the signature does not verify with the issuer's key", error);

        // A byte of the signed part (inside the attestation challenge) changes; the DER stays well-formed.
        var badTbs = leaf.ToArray();
        var at = leaf.AsSpan().IndexOf(_challenge);
        Assert.True(at > 0);
        badTbs[at] ^= 0x01;
        Assert.False(KeyAttestationVerifier.TryVerify([badTbs, _device.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Contains("signature does not verify", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryVerify_LeafSignedByWrongDeviceKey_Rejected()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        using var forger = RSA.Create(2048);
        var forged = Leaf(_device, forger);

        Assert.False(KeyAttestationVerifier.TryVerify([forged, _device.RawData], trust, _challenge, Spki, Now, out _, out var error));
        Assert.Equal("key attestation certificate: the signature does not verify with the issuer's key", error);
    }

    [Fact]
    public void TryVerify_CacheDoesNotConfuseTwoDevicesWithTheSameName()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leafOfDevice = Leaf(_device, DeviceKey.Value);
        var leafOfOther = Leaf(_otherDevice, OtherDeviceKey.Value);

        Assert.True(KeyAttestationVerifier.TryVerify([leafOfDevice, _device.RawData], trust, _challenge, Spki, Now, out _, out var error), error);
        Assert.True(KeyAttestationVerifier.TryVerify([leafOfOther, _otherDevice.RawData], trust, _challenge, Spki, Now, out _, out error), error);
        Assert.Equal(2, trust.CachedDeviceCount);

        // Both devices are cached; each leaf still only verifies under its own device.
        Assert.False(KeyAttestationVerifier.TryVerify([leafOfDevice, _otherDevice.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Contains("signature", error, StringComparison.Ordinal);
        Assert.False(KeyAttestationVerifier.TryVerify([leafOfOther, _device.RawData], trust, _challenge, Spki, Now, out _, out _));
    }

    [Fact]
    public void TryVerify_CacheIsPerRoot_RogueRootWithSameNameDoesNotInherit()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value);
        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, Spki, Now, out _, out _));

        using var rogueKey = RSA.Create(2048);
        using var rogueRoot = MakeCa(_root.Subject, rogueKey, null, Now.AddYears(-1), Now.AddYears(10));
        var rogueTrust = new KeyAttestationTrust(rogueRoot.RawData);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], rogueTrust, _challenge, Spki, Now, out _, out var error));
        Assert.StartsWith("device certificate: ", error, StringComparison.Ordinal);
        Assert.Equal(0, rogueTrust.CachedDeviceCount);

        // The X509Certificate2 overload keeps one anchor per distinct root as well.
        using var leafCert = X509CertificateLoader.LoadCertificate(leaf);
        Assert.True(KeyAttestationVerifier.TryVerify([leafCert, _device], _root, _challenge, Spki, Now, out error), error);
        Assert.False(KeyAttestationVerifier.TryVerify([leafCert, _device], rogueRoot, _challenge, Spki, Now, out _));
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData, rogueRoot.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Equal("the chain ends in a root that is not the trusted maker root", error);
    }

    [Fact]
    public void TryVerify_Expired_RejectedEvenWhenDeviceCached()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value, Now.AddDays(-1), Now.AddDays(1));
        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, Spki, Now, out _, out _));

        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, Spki, Now.AddDays(2), out _, out var error));
        Assert.Equal($"certificate 'CN=key' is not valid at {Now.AddDays(2):O}", error);

        // The cached device certificate's own validity is checked on every use too.
        var lateLeaf = Leaf(_device, DeviceKey.Value, Now.AddYears(4), Now.AddYears(7));
        Assert.False(KeyAttestationVerifier.TryVerify([lateLeaf, _device.RawData], trust, _challenge, Spki, Now.AddYears(6), out _, out error));
        Assert.Contains("SE-0001", error, StringComparison.Ordinal);
        Assert.Contains("not valid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryVerify_ChallengeKeyOriginAndSeId_Checked()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, RandomNumberGenerator.GetBytes(32), Spki, Now, out _, out var error));
        Assert.Equal("the attestation challenge does not match", error);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trust, _challenge, _root.PublicKey.ExportSubjectPublicKeyInfo(), Now, out _, out error));
        Assert.Equal("the attested key is not the key being applied for", error);

        var imported = Leaf(_device, DeviceKey.Value, origin: KeyOrigin.Imported);
        Assert.False(KeyAttestationVerifier.TryVerify([imported, _device.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Equal("the key was not generated inside the secure element", error);

        var otherSe = Leaf(_device, DeviceKey.Value, seId: "SE-0002");
        Assert.False(KeyAttestationVerifier.TryVerify([otherSe, _device.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Equal("the attestation names a different secure element than the device certificate", error);
    }

    [Fact]
    public void TryVerify_GarbageOrNonCaDevice_Rejected()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var leaf = Leaf(_device, DeviceKey.Value);
        Assert.False(KeyAttestationVerifier.TryVerify([[0x30, 0x03, 0x02, 0x01, 0x01], _device.RawData], trust, _challenge, Spki, Now, out _, out var error));
        Assert.Equal(KeyAttestationVerifier.UnparsableCertificateError, error);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData[..^1]], trust, _challenge, Spki, Now, out _, out error));
        Assert.Equal(KeyAttestationVerifier.UnparsableCertificateError, error);

        // A device certificate signed by the root but without cA may not issue attestations (and is not cached).
        var request = new CertificateRequest("CN=Test SE, SERIALNUMBER=SE-0001", DeviceKey.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var leafDevice = request.Create(_root, Now.AddYears(-1), Now.AddYears(1), [9, 9]);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, leafDevice.RawData], trust, _challenge, Spki, Now, out _, out error));
        Assert.Equal("the maker root and the device certificate must both be CA certificates", error);
        Assert.Equal(0, trust.CachedDeviceCount);
    }

    [Fact]
    public void TryVerify_CacheIsBounded()
    {
        var trust = new KeyAttestationTrust(_root.RawData, deviceCapacity: 4);
        for (var i = 0; i < 12; i++)
        {
            using var device = MakeCa($"CN=Test SE {i}", DeviceKey.Value, (_root, RootKey.Value), Now.AddYears(-1), Now.AddYears(5));
            var leaf = Leaf(device, DeviceKey.Value);
            Assert.True(KeyAttestationVerifier.TryVerify([leaf, device.RawData], trust, _challenge, Spki, Now, out _, out var error), error);
            Assert.InRange(trust.CachedDeviceCount, 1, 4);
        }
    }

    [Fact]
    public void SharedRsaKey_VerifiesCorrectlyOnManyThreadsAtOnce()
    {
        // The caches share one imported RSA object between requests: .NET's RSA (OpenSSL on Linux) must verify concurrently.
        using var shared = RSA.Create();
        shared.ImportSubjectPublicKeyInfo(DeviceKey.Value.ExportSubjectPublicKeyInfo(), out _);
        var messages = Enumerable.Range(0, 16).Select(i => RandomNumberGenerator.GetBytes(100 + i)).ToArray();
        var signatures = messages.Select(m => DeviceKey.Value.SignData(m, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)).ToArray();
        var wrong = 0;
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount * 2) }, i =>
        {
            var m = i % messages.Length;
            var genuine = i % 3 != 0;
            var signature = genuine ? signatures[m] : signatures[(m + 1) % messages.Length];
            if (shared.VerifyData(messages[m], signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) != genuine)
            {
                Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void SharedTrust_VerifiesOnManyThreadsAtOnce()
    {
        var trust = new KeyAttestationTrust(_root.RawData);
        var good = Leaf(_device, DeviceKey.Value);
        var bad = good.ToArray();
        bad[^3] ^= 0x40;
        var wrong = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var genuine = i % 2 == 0;
            if (KeyAttestationVerifier.TryVerify([genuine ? good : bad, _device.RawData], trust, _challenge, Spki, Now, out _, out _) != genuine)
            {
                Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
        Assert.Equal(1, trust.CachedDeviceCount);
    }

    [Fact]
    public void TryVerify_SeveralRoots_AnyIssuerVouchesOthersDoNot()
    {
        using var otherKey = RSA.Create(2048);
        using var other = MakeCa("CN=Other SE Maker Root, O=Other, C=JP", otherKey, null, Now.AddYears(-1), Now.AddYears(10));

        // A rolled-over root: the same name as the trusted one, another key.
        using var rolledKey = RSA.Create(2048);
        using var rolled = MakeCa(_root.Subject, rolledKey, null, Now.AddYears(-1), Now.AddYears(10));
        var leaf = Leaf(_device, DeviceKey.Value);
        KeyAttestationTrust[] trusted = [new(other.RawData), new(rolled.RawData), new(_root.RawData)];

        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trusted, _challenge, Spki, Now, out var data, out var error), error);
        Assert.Equal("SE-0001", data!.SecureElementId);
        Assert.True(KeyAttestationVerifier.TryVerify([leaf, _device.RawData, _root.RawData], trusted, _challenge, Spki, Now, out _, out error), error);

        // Without the issuing root the most telling error wins over "issuer name does not match".
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trusted[..2], _challenge, Spki, Now, out data, out error));
        Assert.Null(data);
        Assert.Equal("device certificate: the signature does not verify with the issuer's key", error);
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trusted[..1], _challenge, Spki, Now, out _, out error));
        Assert.Equal("device certificate: issuer name does not match", error);

        // A genuine chain with a wrong challenge is refused for that reason, whichever root is tried first.
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], trusted, RandomNumberGenerator.GetBytes(32), Spki, Now, out _, out error));
        Assert.Equal("the attestation challenge does not match", error);

        // No root trusted: nothing verifies.
        Assert.False(KeyAttestationVerifier.TryVerify([leaf, _device.RawData], Array.Empty<KeyAttestationTrust>(), _challenge, Spki, Now, out _, out error));
        Assert.Equal("no SE maker root is trusted", error);
    }

    [Fact]
    public void DerCertificate_ReadsWhatX509Certificate2Reads()
    {
        Assert.True(DerCertificate.TryParse(_device.RawData, out var parsed));
        Assert.Equal(_device.SerialNumber.ToLowerInvariant(), parsed!.SerialNumberHex);
        Assert.Equal(_device.SubjectName.RawData, parsed.Subject.ToArray());
        Assert.Equal(_device.IssuerName.RawData, parsed.Issuer.ToArray());
        Assert.Equal(new DateTimeOffset(_device.NotBefore.ToUniversalTime()), parsed.NotBefore);
        Assert.Equal(new DateTimeOffset(_device.NotAfter.ToUniversalTime()), parsed.NotAfter);
        Assert.Equal(_device.PublicKey.ExportSubjectPublicKeyInfo(), parsed.SubjectPublicKeyInfo.ToArray());
        Assert.True(parsed.IsCertificateAuthority);
        Assert.Equal("SE-0001", parsed.SubjectSerialNumberAttribute());
        Assert.True(parsed.IsSignedBy(RootKey.Value));
        Assert.False(parsed.IsSignedBy(DeviceKey.Value));
        Assert.False(DerCertificate.TryParse([], out _));
        Assert.False(DerCertificate.TryParse(RandomNumberGenerator.GetBytes(200), out _));
    }

    private byte[] Leaf(X509Certificate2 device, RSA signer, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, KeyOrigin origin = KeyOrigin.GeneratedInsideSecureElement, string seId = "SE-0001")
    {
        var request = new CertificateRequest("CN=key", PhoneKey.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509Extension(Oids.KeyAttestation, new KeyAttestationData(_challenge, seId, 0x1A, origin).Encode(), false));
        using var cert = request.Create(device.SubjectName, X509SignatureGenerator.CreateForRSA(signer, RSASignaturePadding.Pkcs1), notBefore ?? Now.AddMinutes(-5), notAfter ?? Now.AddYears(1), RandomNumberGenerator.GetBytes(8));
        return cert.RawData;
    }

    private static X509Certificate2 MakeCa(string name, RSA key, (X509Certificate2 Cert, RSA Key)? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return issuer is { } i
            ? request.Create(i.Cert.SubjectName, X509SignatureGenerator.CreateForRSA(i.Key, RSASignaturePadding.Pkcs1), notBefore, notAfter, RandomNumberGenerator.GetBytes(8))
            : request.CreateSelfSigned(notBefore, notAfter);
    }
}
