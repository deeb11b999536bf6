namespace MobileJpki.Device;

/// <summary>The SE's proprietary provisioning commands (CLA 80) and its extra EFs; see docs/secure-element.md.</summary>
/// <remarks>
/// P1 P2 always carry the target FID. Responses and certificates exceed 255 bytes, so GENERATE KEY PAIR
/// needs an extended Le and PUT CERTIFICATE uses command chaining (CLA 90 for all but the last block)
/// or an extended Lc.
/// </remarks>
public static class SecureElementCommands
{
    public const byte Cla = 0x80;
    public const byte ClaChained = 0x90;

    /// <summary>80 47 00 17|1A Lc challenge(32) Le: new RSA-2048 key inside the SE; answers the key attestation certificate.</summary>
    public const byte GenerateKeyPair = 0x47;

    /// <summary>80 DA 00 01|02|0A|0B Lc certificate: writes a certificate EF; a leaf must carry the SE's key.</summary>
    public const byte PutCertificate = 0xDA;

    /// <summary>80 2C 00 18|1B Lc pin: sets a PIN where none exists (GENERATE KEY PAIR drops the old one with the old key).</summary>
    public const byte SetPin = 0x2C;

    /// <summary>
    /// P1 of SET PIN for a password reset (80 2C 01 18|1B Lc authorisation ‖ pin, chained or extended): replaces a
    /// registered PIN, locked or not, and refills its counter, only with the server's reset authorisation for this
    /// SE's key, this PIN and the outstanding challenge.
    /// </summary>
    public const byte ResetPinP1 = 0x01;

    /// <summary>80 84 00 00 Le: a fresh 32-byte challenge for RESET PIN; single use, replaced by the next one, forgotten on WIPE or restart.</summary>
    public const byte GetChallenge = 0x84;

    /// <summary>80 E4 00 00: deletes keys, certificates and PINs (the attestation identity stays).</summary>
    public const byte Wipe = 0xE4;

    public const int ChallengeLength = 32;

    /// <summary>EF holding the SE's device attestation certificate (DER), readable without a PIN.</summary>
    public const ushort DeviceAttestationCertificate = 0x2F01;

    /// <summary>EF holding the maker root certificate (DER) that issued the device certificate.</summary>
    public const ushort MakerRootCertificate = 0x2F02;

    /// <summary>The largest certificate PUT CERTIFICATE (or authorisation and PIN RESET PIN) accepts, chained or not.</summary>
    public const int MaxCertificateLength = 8 * 1024;
}
