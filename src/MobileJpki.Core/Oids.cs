namespace MobileJpki.Core;

/// <summary>Object identifiers used across the service.</summary>
/// <remarks>
/// Our own arcs live under a UUID-derived OID (ITU-T X.667, arc 2.25) so they need no registration and
/// cannot collide with the real JPKI's 1.2.392.200149 policies.
/// </remarks>
public static class Oids
{
    /// <summary>2.25 + UUID 6b1f3c2e-8a4d-4f5b-9c1e-3d7a2b9e4f60 as an integer.</summary>
    public const string MobileJpkiArc = "2.25.142389577383474666213888066828459986784";

    public const string PolicyCardSigning = MobileJpkiArc + ".1.1";
    public const string PolicyCardAuth = MobileJpkiArc + ".1.2";
    public const string PolicyPhoneSigning = MobileJpkiArc + ".1.3";
    public const string PolicyPhoneAuth = MobileJpkiArc + ".1.4";

    /// <summary>Key attestation extension of the emulated secure element (like Android's 1.3.6.1.4.1.11129.2.1.17).</summary>
    public const string KeyAttestation = MobileJpkiArc + ".2.1";

    /// <summary>
    /// Extended key usage of the SE management certificate: its key may authorise a phone PIN reset in the secure
    /// element (docs/secure-element.md, "PIN reset authorisation"); nothing else honours it.
    /// </summary>
    public const string SeManagementKeyUsage = MobileJpkiArc + ".3.1";

    // JPKI's 基本4情報 otherName types in subjectAltName (public facts, DESIGN.md).
    public const string Basic4Name = "1.2.392.200149.8.5.5.1";
    public const string Basic4NameAlt = "1.2.392.200149.8.5.5.2";
    public const string Basic4Gender = "1.2.392.200149.8.5.5.3";
    public const string Basic4BirthDate = "1.2.392.200149.8.5.5.4";
    public const string Basic4Address = "1.2.392.200149.8.5.5.5";
    public const string Basic4AddressAlt = "1.2.392.200149.8.5.5.6";

    public static string PolicyFor(CertificateKind kind) => kind switch
    {
        CertificateKind.CardSigning => PolicyCardSigning,
        CertificateKind.CardAuth => PolicyCardAuth,
        CertificateKind.PhoneSigning => PolicyPhoneSigning,
        CertificateKind.PhoneAuth => PolicyPhoneAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
