namespace MobileJpki.Core.Attestation;

/// <summary>
/// The phone id is not the client's choice: it is the secure element's serial number as its maker certified it (the
/// serialNumber attribute of the device certificate that signs every key attestation). Only an SE whose device
/// certificate chains to a trusted maker root, and only the holder of that device key, can produce an application
/// with that id; the server (<c>ApplicationVerifier</c>) and the phone (<c>VirtualPhone</c>) derive it the same way.
/// </summary>
public static class PhoneIdentity
{
    /// <summary>The longest phone id (and so the longest SE serial number) the service accepts.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="phoneId"/> has the shape of a phone id: 1–64 ASCII letters or digits.</summary>
    public static bool IsWellFormed(string? phoneId) =>
        phoneId is { Length: > 0 and <= MaxLength } && phoneId.All(char.IsAsciiLetterOrDigit);

    /// <summary>The phone id of the SE whose device certificate names <paramref name="secureElementSerial"/>; false when it cannot be one.</summary>
    public static bool TryFromSerialNumber(string? secureElementSerial, out string phoneId)
    {
        // Byte for byte, no case folding: two serials a maker tells apart are two phones.
        phoneId = IsWellFormed(secureElementSerial) ? secureElementSerial! : string.Empty;
        return phoneId.Length > 0;
    }

    /// <summary>The phone id of the SE with this device certificate (DER); false when it is unparsable or names no usable serial.</summary>
    public static bool TryFromDeviceCertificate(byte[] deviceCertificate, out string phoneId)
    {
        phoneId = string.Empty;
        return DerCertificate.TryParse(deviceCertificate, out var device) && device is not null
            && TryFromSerialNumber(device.SubjectSerialNumberAttribute(), out phoneId);
    }
}
