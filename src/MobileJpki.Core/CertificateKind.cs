namespace MobileJpki.Core;

/// <summary>The four end-entity certificate kinds of the service.</summary>
public enum CertificateKind
{
    CardSigning = 1,
    CardAuth = 2,
    PhoneSigning = 3,
    PhoneAuth = 4,
}

/// <summary>The two JPKI hierarchies: digital signature and user authentication.</summary>
public enum Hierarchy
{
    Signing = 1,
    Auth = 2,
}

/// <summary>Facts about <see cref="CertificateKind"/> that every layer needs.</summary>
public static class CertificateKinds
{
    public static Hierarchy HierarchyOf(this CertificateKind kind) => kind switch
    {
        CertificateKind.CardSigning or CertificateKind.PhoneSigning => Hierarchy.Signing,
        CertificateKind.CardAuth or CertificateKind.PhoneAuth => Hierarchy.Auth,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool IsPhone(this CertificateKind kind) => kind is CertificateKind.PhoneSigning or CertificateKind.PhoneAuth;

    /// <summary>The card kind a phone kind derives from (its validity ends with it).</summary>
    public static CertificateKind CardKindFor(this CertificateKind phoneKind) => phoneKind switch
    {
        CertificateKind.PhoneSigning => CertificateKind.CardSigning,
        CertificateKind.PhoneAuth => CertificateKind.CardAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(phoneKind)),
    };

    /// <summary>The short names used on the wire and on the command line: "sign" and "auth".</summary>
    public static string WireName(this Hierarchy hierarchy) => hierarchy == Hierarchy.Signing ? "sign" : "auth";

    public static bool TryParseWireName(string? value, out Hierarchy hierarchy)
    {
        switch (value)
        {
            case "sign": hierarchy = Hierarchy.Signing; return true;
            case "auth": hierarchy = Hierarchy.Auth; return true;
            default: hierarchy = default; return false;
        }
    }
}
