using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>The fixed shape of one certificate kind: what the issuer builds and the linter demands.</summary>
/// <param name="OrganizationalUnit">The OU naming the kind in the subject DN (the only per-kind part of the DN).</param>
/// <param name="ExtendedKeyUsages">EKU OIDs, in order; empty means the extension is absent.</param>
/// <param name="CarriesBasic4Info">Signing kinds carry 基本4情報 in subjectAltName; auth kinds carry no SAN at all.</param>
/// <param name="RequiresNotAfterCap">Phone kinds must be capped by their card certificate's NotAfter.</param>
public sealed record CertificateProfile(
    CertificateKind Kind,
    Hierarchy Hierarchy,
    string OrganizationalUnit,
    string PolicyOid,
    X509KeyUsageFlags KeyUsage,
    IReadOnlyList<string> ExtendedKeyUsages,
    bool CarriesBasic4Info,
    bool RequiresNotAfterCap,
    int RsaKeySizeBits);

/// <summary>The four profiles of DESIGN.md "Certificates".</summary>
public static class CertificateProfiles
{
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private static readonly CertificateProfile CardSigning = Signing(CertificateKind.CardSigning, "Card Signing");
    private static readonly CertificateProfile CardAuth = Auth(CertificateKind.CardAuth, "Card Auth");
    private static readonly CertificateProfile PhoneSigning = Signing(CertificateKind.PhoneSigning, "Phone Signing");
    private static readonly CertificateProfile PhoneAuth = Auth(CertificateKind.PhoneAuth, "Phone Auth");

    public static CertificateProfile For(CertificateKind kind) => kind switch
    {
        CertificateKind.CardSigning => CardSigning,
        CertificateKind.CardAuth => CardAuth,
        CertificateKind.PhoneSigning => PhoneSigning,
        CertificateKind.PhoneAuth => PhoneAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static CertificateProfile Signing(CertificateKind kind, string unit) => new(
        kind,
        Hierarchy.Signing,
        unit,
        Oids.PolicyFor(kind),
        X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation,
        [],
        CarriesBasic4Info: true,
        RequiresNotAfterCap: kind.IsPhone(),
        SubjectPublicKeyInfos.RequiredRsaBits);

    private static CertificateProfile Auth(CertificateKind kind, string unit) => new(
        kind,
        Hierarchy.Auth,
        unit,
        Oids.PolicyFor(kind),
        X509KeyUsageFlags.DigitalSignature,
        [ClientAuthOid],
        CarriesBasic4Info: false,
        RequiresNotAfterCap: kind.IsPhone(),
        SubjectPublicKeyInfos.RequiredRsaBits);
}
