using System.Runtime.InteropServices;

namespace MobileJpki.Card.PcSc;

/// <summary>
/// The six pcsc-lite calls the client needs. In pcsc-lite (Linux, macOS uses its own framework) <c>DWORD</c> is
/// <c>unsigned long</c> and <c>LONG</c>/<c>SCARDCONTEXT</c>/<c>SCARDHANDLE</c> are <c>long</c>: 8 bytes on
/// 64-bit Linux, hence <see cref="nuint"/> and <see cref="nint"/> throughout (Windows' winscard uses 4-byte DWORDs).
/// </summary>
internal static class PcscNative
{
    public const string Library = "libpcsclite.so.1";

    public const uint ScopeSystem = 2;
    public const uint ShareShared = 2;
    public const uint ProtocolT0 = 1;
    public const uint ProtocolT1 = 2;
    public const uint LeaveCard = 0;
    public const uint ResetCard = 1;

    public const uint Success = 0x00000000;
    public const uint InsufficientBuffer = 0x80100008;
    public const uint UnknownReader = 0x80100009;
    public const uint Timeout = 0x8010000A;
    public const uint SharingViolation = 0x8010000B;
    public const uint NoSmartcard = 0x8010000C;
    public const uint ReaderUnavailable = 0x80100017;
    public const uint NoService = 0x8010001D;
    public const uint ServiceStopped = 0x8010001E;
    public const uint NoReadersAvailable = 0x8010002E;
    public const uint UnsupportedCard = 0x80100065;
    public const uint UnresponsiveCard = 0x80100066;
    public const uint UnpoweredCard = 0x80100067;
    public const uint ResetCardWarning = 0x80100068;
    public const uint RemovedCard = 0x80100069;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoRequest
    {
        public nuint Protocol;
        public nuint PciLength;
    }

    [DllImport(Library, EntryPoint = "SCardEstablishContext")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint EstablishContext(nuint scope, nint reserved1, nint reserved2, out nint context);

    [DllImport(Library, EntryPoint = "SCardReleaseContext")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint ReleaseContext(nint context);

    /// <summary><paramref name="readers"/> null asks for the length only (a multi-string: NUL-separated, double NUL at the end).</summary>
    [DllImport(Library, EntryPoint = "SCardListReaders")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint ListReaders(nint context, nint groups, byte[]? readers, ref nuint length);

    /// <summary><paramref name="reader"/> is the NUL-terminated UTF-8 reader name.</summary>
    [DllImport(Library, EntryPoint = "SCardConnect")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Connect(nint context, byte[] reader, nuint shareMode, nuint preferredProtocols, out nint card, out nuint activeProtocol);

    [DllImport(Library, EntryPoint = "SCardDisconnect")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Disconnect(nint card, nuint disposition);

    [DllImport(Library, EntryPoint = "SCardTransmit")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Transmit(nint card, in IoRequest sendPci, byte[] send, nuint sendLength, nint recvPci, byte[] receive, ref nuint receiveLength);

    /// <summary>The 32-bit PC/SC code in a <c>LONG</c> return value.</summary>
    public static uint Code(nint rc) => unchecked((uint)(long)rc);
}
