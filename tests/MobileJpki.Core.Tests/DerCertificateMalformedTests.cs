using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Core.Tests;

/// <summary>
/// Malformed or unusual DER turns into the reader's refusal (false, null), never an exception: these inputs once escaped
/// as ArgumentOutOfRangeException (a 500 at the HTTP edge). More inputs of this kind are replayed from fuzz/corpus and
/// fuzz/crashes by MobileJpki.Fuzz.Tests.
/// </summary>
public sealed class DerCertificateMalformedTests
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<RSA> RootKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> DeviceKey = new(() => RSA.Create(2048));

    [Fact]
    public void SubjectSerialNumber_UniversalString_UnreadableNotAnException()
    {
        using var certificate = SelfSigned(NameWithSerial(UniversalString("SE-0001")), RootKey.Value);
        Assert.True(DerCertificate.TryParse(certificate.RawData, out var parsed));

        Assert.Null(parsed!.SubjectSerialNumberAttribute());
        Assert.False(parsed.TryReadSubjectSerialNumberAttribute(out var value));
        Assert.Null(value);
    }

    [Fact]
    public void SubjectSerialNumber_PrintableStringOrAbsent_Read()
    {
        using var printable = SelfSigned(new X500DistinguishedName("CN=Test SE, SERIALNUMBER=SE-0001"), RootKey.Value);
        using var absent = SelfSigned(new X500DistinguishedName("CN=Test SE"), RootKey.Value);
        Assert.True(DerCertificate.TryParse(printable.RawData, out var withSerial));
        Assert.True(DerCertificate.TryParse(absent.RawData, out var withoutSerial));

        Assert.True(withSerial!.TryReadSubjectSerialNumberAttribute(out var serial));
        Assert.Equal("SE-0001", serial);
        Assert.True(withoutSerial!.TryReadSubjectSerialNumberAttribute(out var none));
        Assert.Null(none);
    }

    [Fact]
    public void SubjectSerialNumber_NotAString_Unreadable()
    {
        using var printable = SelfSigned(new X500DistinguishedName("CN=Test SE, SERIALNUMBER=SE-0001"), RootKey.Value);
        var der = printable.RawData;
        // PrintableString "SE-0001" becomes an OCTET STRING: still DER (TryParse does not check the signature).
        byte[] printableSerial = [0x13, 0x07, .. "SE-0001"u8];
        var at = der.AsSpan().LastIndexOf(printableSerial); // the subject; the issuer (the same name) comes first
        Assert.True(at > 0);
        der[at] = 0x04;
        Assert.True(DerCertificate.TryParse(der, out var parsed));

        Assert.False(parsed!.TryReadSubjectSerialNumberAttribute(out _));
        Assert.Null(parsed.SubjectSerialNumberAttribute());
    }

    /// <summary>
    /// A device certificate (signed by the trusted root) whose serialNumber is a UniversalString: the verifier threw
    /// ArgumentOutOfRangeException; now it refuses, and does not skip the check that the attestation names this SE.
    /// </summary>
    [Fact]
    public void TryVerify_DeviceSerialNumberUnreadable_RefusedWithReason()
    {
        using var root = SelfSigned(new X500DistinguishedName("CN=Test SE Maker Root, O=Test, C=JP"), RootKey.Value, ca: true);
        var request = new CertificateRequest(NameWithSerial(UniversalString("SE-0001")), DeviceKey.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var device = request.Create(root.SubjectName, X509SignatureGenerator.CreateForRSA(RootKey.Value, RSASignaturePadding.Pkcs1), Now.AddYears(-1), Now.AddYears(5), [1, 2, 3]);
        var trust = new KeyAttestationTrust(root.RawData);

        var ok = KeyAttestationVerifier.TryVerify([device.RawData, device.RawData], trust, new byte[32], new byte[10], Now, out var attestation, out var error);

        Assert.False(ok);
        Assert.Null(attestation);
        Assert.Equal("the device certificate's serialNumber attribute cannot be read", error);
        Assert.Equal(0, trust.CachedDeviceCount);
    }

    private static byte[] UniversalString(string text)
    {
        var ucs4 = Encoding.UTF32.GetBytes(text);
        for (var i = 0; i < ucs4.Length; i += 4)
        {
            // UTF-32 in .NET is little-endian; UniversalString is big-endian UCS-4.
            Array.Reverse(ucs4, i, 4);
        }

        return [0x1C, (byte)ucs4.Length, .. ucs4];
    }

    private static X500DistinguishedName NameWithSerial(byte[] encodedValue)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSetOf())
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("2.5.4.3");
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, "Test SE");
            }

            using (writer.PushSetOf())
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("2.5.4.5");
                writer.WriteEncodedValue(encodedValue);
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }

    private static X509Certificate2 SelfSigned(X500DistinguishedName name, RSA key, bool ca = false)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (ca)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        }

        return request.CreateSelfSigned(Now.AddYears(-1), Now.AddYears(10));
    }
}
