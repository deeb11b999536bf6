namespace MobileJpki.Card;

/// <summary>The JPKI-AP's AID and elementary file identifiers (public facts, DESIGN.md).</summary>
public static class JpkiFiles
{
    public const ushort SigningCertificate = 0x0001;
    public const ushort SigningCaCertificate = 0x0002;
    public const ushort TokenInfo = 0x0006;
    public const ushort AuthCertificate = 0x000A;
    public const ushort AuthCaCertificate = 0x000B;
    public const ushort AuthKey = 0x0017;
    public const ushort AuthPin = 0x0018;
    public const ushort SigningKey = 0x001A;
    public const ushort SigningPin = 0x001B;

    public const int TokenInfoLength = 32;
    public const string CardTokenLabel = "JPKIAPICCTOKEN2";
    public const string SecureElementTokenLabel = "JPKIAPGPSETOKEN";

    /// <summary>JPKI-AP application identifier D3 92 F0 00 26 01 00 00 00 01.</summary>
    public static ReadOnlySpan<byte> Aid => [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    /// <summary>The card's ATR as OpenSC matches it.</summary>
    public static ReadOnlySpan<byte> CardAtr => [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

    public static ushort KeyFid(PinKind kind) => kind == PinKind.Signing ? SigningKey : AuthKey;

    public static ushort PinFid(PinKind kind) => kind == PinKind.Signing ? SigningPin : AuthPin;

    public static ushort CertificateFid(PinKind kind) => kind == PinKind.Signing ? SigningCertificate : AuthCertificate;

    public static ushort CaCertificateFid(PinKind kind) => kind == PinKind.Signing ? SigningCaCertificate : AuthCaCertificate;

    public static int MaxTries(PinKind kind) => kind == PinKind.Signing ? 5 : 3;

    /// <summary>The PIN EF guarding a key EF, or null when <paramref name="keyFid"/> is not a key EF.</summary>
    public static ushort? PinForKey(ushort keyFid) => keyFid switch
    {
        AuthKey => AuthPin,
        SigningKey => SigningPin,
        _ => null,
    };

    /// <summary>The key EF whose public key the certificate EF must carry, or null for other EFs.</summary>
    public static ushort? KeyForCertificate(ushort certificateFid) => certificateFid switch
    {
        AuthCertificate => AuthKey,
        SigningCertificate => SigningKey,
        _ => null,
    };

    public static PinKind? PinKindOf(ushort pinFid) => pinFid switch
    {
        AuthPin => PinKind.Auth,
        SigningPin => PinKind.Signing,
        _ => null,
    };
}
