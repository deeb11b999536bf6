using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

/// <summary>What OpenSC 0.23 sends before and while binding its JPKI driver (captured with pcscd --debug --apdu).</summary>
public class OpenScProbeTests
{
    private readonly JpkiApplet applet = Fresh().Applet;

    [Theory]
    [InlineData("00 A4 04 00 07 62 76 01 FF 00 00 00", StatusWords.FileNotFound)]
    [InlineData("00 A4 04 00 06 A0 00 00 00 01 01", StatusWords.FileNotFound)]
    [InlineData("00 A4 04 0C 0F D2 33 00 00 00 45 73 74 45 49 44 20 76 33 35", StatusWords.FileNotFound)]
    [InlineData("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00", StatusWords.FileNotFound)]
    [InlineData("00 CA DF 30 05", StatusWords.InsNotSupported)]
    [InlineData("00 CB 3F FF 03 5C 01 7E 08", StatusWords.InsNotSupported)]
    public void OtherDriversProbes_AnsweredNotFoundOrUnsupported(string hex, ushort expected)
    {
        Assert.Equal(expected, Send(applet, hex));
    }

    [Fact]
    public void PinQuery_LockedPin_Still63C0SoOpenScCanBind()
    {
        Send(applet, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
        Send(applet, "00 A4 02 0C 02 00 18");
        for (var i = 0; i < 3; i++)
        {
            Send(applet, "00 20 00 80 04 30 30 30 30");
        }

        Assert.Equal(StatusWords.AuthenticationBlocked, Send(applet, "00 20 00 80 04 31 32 33 34"));
        Assert.Equal(StatusWords.VerifyFailed(0), Send(applet, "00 20 00 80"));
    }
}
