namespace MobileJpki.Card;

/// <summary>The two PIN-protected keys of a JPKI applet.</summary>
public enum PinKind
{
    Signing,
    Auth,
}
