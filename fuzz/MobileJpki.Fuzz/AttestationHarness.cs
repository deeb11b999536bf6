using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core.Attestation;
using MobileJpki.Device;

namespace MobileJpki.Fuzz;

/// <summary>
/// <see cref="KeyAttestationVerifier.TryVerify(IReadOnlyList{byte[]}, KeyAttestationTrust, ReadOnlySpan{byte}, ReadOnlySpan{byte}, DateTimeOffset, out KeyAttestationData?, out string)"/>:
/// true with the attestation, or false with the reason; never an exception.
/// </summary>
/// <remarks>
/// Input (<see cref="Frames"/>): the expected SubjectPublicKeyInfo, the expected challenge, then the chain.
/// <see cref="RunChain"/> checks the chain as sent, under the sandbox maker root that a virtual phone's SE carries.
/// Random bytes never carry a valid signature, so <see cref="RunSignedLeaf"/> gets past the signature checks: its
/// last frame is a TBSCertificate that the harness signs with the key of its own device certificate, so that the
/// fuzzer reaches the validity, extension, challenge and key checks.
/// </remarks>
internal static class AttestationHarness
{
    public const string DeviceSerialNumber = "FUZZSE0001";
    public static readonly X500DistinguishedName RootName = new("CN=Fuzz SE Maker Root, O=MobileJpki Fuzz, C=JP");

    /// <summary>sha256WithRSAEncryption with NULL parameters, as .NET and the SE write it.</summary>
    private static readonly byte[] Sha256WithRsa = Convert.FromHexString("300D06092A864886F70D01010B0500");

    private static readonly Lazy<byte[]> SandboxRoot = new(() =>
    {
        var phone = Templates.Phone(provisioned: false);
        var client = new SecureElementClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        client.Jpki.SelectAp();
        var chain = client.ReadAttestationChain();
        return chain[1].RawData;
    });

    private static readonly Lazy<OwnMaker> Own = new(OwnMaker.Create);

    public static X500DistinguishedName DeviceName { get; } = BuildDeviceName();

    public static void Warm()
    {
        _ = SandboxRoot.Value;
        _ = Own.Value;
    }

    public static void RunChain(ReadOnlySpan<byte> input)
    {
        var frames = Frames.Split(input, 6);
        if (frames.Count < 2)
        {
            return;
        }

        Verify(frames[0], frames[1], frames.Skip(2).ToList(), new KeyAttestationTrust(SandboxRoot.Value));
    }

    public static void RunSignedLeaf(ReadOnlySpan<byte> input)
    {
        var frames = Frames.Split(input, 3);
        if (frames.Count < 3)
        {
            return;
        }

        var own = Own.Value;
        var leaf = SignTbs(frames[2], own.DeviceKey);
        Verify(frames[0], frames[1], [leaf, own.DeviceDer], new KeyAttestationTrust(own.RootDer));
    }

    /// <summary>Wraps a TBSCertificate (any bytes) into Certificate with a sha256WithRSAEncryption signature over it.</summary>
    public static byte[] SignTbs(byte[] tbs, RSA key)
    {
        var signature = key.SignData(tbs, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var bits = new AsnWriter(AsnEncodingRules.DER);
        bits.WriteBitString(signature);
        byte[] body = [.. tbs, .. Sha256WithRsa, .. bits.Encode()];
        var length = body.Length;
        byte[] header = length < 0x80 ? [0x30, (byte)length]
            : length < 0x100 ? [0x30, 0x81, (byte)length]
            : length < 0x10000 ? [0x30, 0x82, (byte)(length >> 8), (byte)length]
            : [0x30, 0x83, (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        return [.. header, .. body];
    }

    private static void Verify(byte[] spki, byte[] challenge, List<byte[]> chain, KeyAttestationTrust trust)
    {
        var ok = KeyAttestationVerifier.TryVerify(chain, trust, challenge, spki, Templates.Now, out var attestation, out var error);
        if (ok)
        {
            Expect.That(attestation is not null && error.Length == 0, "success without an attestation");
            Expect.That(attestation!.Origin == KeyOrigin.GeneratedInsideSecureElement && attestation.Challenge.AsSpan().SequenceEqual(challenge), "accepted an attestation that says something else");
        }
        else
        {
            Expect.That(attestation is null && error.Length > 0, "a refusal without a reason");
        }
    }

    private static X500DistinguishedName BuildDeviceName()
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCountryOrRegion("JP");
        name.AddOrganizationName("MobileJpki Fuzz");
        name.AddCommonName("Fuzz Secure Element");
        name.Add("2.5.4.5", DeviceSerialNumber, UniversalTagNumber.PrintableString);
        return name.Build();
    }

    /// <summary>A maker root and a device certificate whose keys the harness holds (new ones in every process).</summary>
    public sealed record OwnMaker(byte[] RootDer, byte[] DeviceDer, RSA DeviceKey)
    {
        public static OwnMaker Create()
        {
            using var rootKey = RSA.Create(2048);
            var rootRequest = new CertificateRequest(RootName, rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var root = rootRequest.CreateSelfSigned(Templates.Now.AddYears(-5), Templates.Now.AddYears(20));

            var deviceKey = RSA.Create(2048);
            var deviceRequest = new CertificateRequest(DeviceName, deviceKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            deviceRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            using var device = deviceRequest.Create(root, Templates.Now.AddYears(-1), Templates.Now.AddYears(10), [1, 2, 3, 4]);
            return new OwnMaker(root.RawData, device.RawData, deviceKey);
        }
    }
}
