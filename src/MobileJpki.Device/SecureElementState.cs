using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;

namespace MobileJpki.Device;

/// <summary>The persistent content of an SE: its attestation identity and its JPKI-AP.</summary>
internal sealed class SecureElementState
{
    public string SecureElementId { get; set; } = string.Empty;

    /// <summary>The device attestation private key, PKCS#8 DER; never leaves the SE through any command.</summary>
    public byte[] AttestationKey { get; set; } = [];

    public JpkiAppletState Applet { get; set; } = new();

    /// <summary>Key EFs generated but not yet given a certificate: while listed, their PIN may be (re)set.</summary>
    public List<ushort> ProvisioningKeys { get; set; } = [];

    public byte[] DeviceCertificate => Applet.Files[SecureElementCommands.DeviceAttestationCertificate];

    public void Validate()
    {
        if (SecureElementId is not { Length: 16 } || !SecureElementId.All(Uri.IsHexDigit))
        {
            throw new InvalidDataException("The secure element id is not 16 hex digits.");
        }

        if (Applet is null || ProvisioningKeys is null || AttestationKey is null)
        {
            throw new InvalidDataException("The secure element state is incomplete.");
        }

        Applet.Validate();
        if (!Applet.Files.ContainsKey(SecureElementCommands.DeviceAttestationCertificate)
            || !Applet.Files.ContainsKey(SecureElementCommands.MakerRootCertificate))
        {
            throw new InvalidDataException("The secure element lacks its attestation certificates.");
        }

        if (ProvisioningKeys.Any(fid => JpkiFiles.PinForKey(fid) is null) || ProvisioningKeys.Count > 2)
        {
            throw new InvalidDataException("The secure element's provisioning list names a non-key EF.");
        }

        try
        {
            using var key = RSA.Create();
            key.ImportPkcs8PrivateKey(AttestationKey, out _);
            using var cert = X509CertificateLoader.LoadCertificate(DeviceCertificate);
            if (!cert.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new InvalidDataException("The device attestation certificate does not match the attestation key.");
            }
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException("The secure element's attestation key or certificate is corrupt.", e);
        }
    }
}
