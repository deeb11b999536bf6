namespace MobileJpki.Card;

/// <summary>A synchronous APDU transport: command bytes in, response data followed by SW1 SW2 out.</summary>
public interface IApduChannel
{
    byte[] Transmit(ReadOnlySpan<byte> command);
}
