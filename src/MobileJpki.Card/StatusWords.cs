namespace MobileJpki.Card;

/// <summary>ISO 7816-4 status words (SW1 SW2) used by the JPKI applet.</summary>
public static class StatusWords
{
    public const ushort Success = 0x9000;

    /// <summary>63 00: authentication failed, no further information (GlobalPlatform's answer to a bad host cryptogram).</summary>
    public const ushort AuthenticationFailed = 0x6300;
    public const ushort WrongLength = 0x6700;
    public const ushort LastCommandOfChainExpected = 0x6883;
    public const ushort ChainingNotSupported = 0x6884;
    public const ushort IncompatibleFileStructure = 0x6981;
    public const ushort SecurityStatusNotSatisfied = 0x6982;
    public const ushort AuthenticationBlocked = 0x6983;
    public const ushort ReferenceDataNotUsable = 0x6984;
    public const ushort ConditionsNotSatisfied = 0x6985;
    public const ushort CommandNotAllowedNoCurrentEf = 0x6986;
    public const ushort WrongData = 0x6A80;
    public const ushort FileNotFound = 0x6A82;
    public const ushort NotEnoughMemory = 0x6A84;
    public const ushort IncorrectP1P2 = 0x6A86;
    public const ushort DataInconsistentWithP1P2 = 0x6A87;
    public const ushort ReferencedDataNotFound = 0x6A88;
    public const ushort WrongP1P2 = 0x6B00;
    public const ushort InsNotSupported = 0x6D00;
    public const ushort ClaNotSupported = 0x6E00;

    /// <summary>63 Cx: a PIN check failed (or was only queried) and <paramref name="triesLeft"/> attempts remain.</summary>
    public static ushort VerifyFailed(int triesLeft) => (ushort)(0x63C0 | Math.Clamp(triesLeft, 0, 15));

    /// <summary>Whether <paramref name="sw"/> is a 63 Cx counter report, and the count it carries.</summary>
    public static bool IsVerifyFailed(ushort sw, out int triesLeft)
    {
        triesLeft = sw & 0x0F;
        return (sw & 0xFFF0) == 0x63C0;
    }
}
