using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

public class CommandApduTests
{
    [Fact]
    public void TryParse_Case1_HasNoDataAndNoNe()
    {
        Assert.True(CommandApdu.TryParse(Hex("00 B0 00 00"), out var apdu, out _));
        Assert.Equal(0xB0, apdu.Ins);
        Assert.True(apdu.Data.IsEmpty);
        Assert.Null(apdu.Ne);
    }

    [Fact]
    public void TryParse_ShortLeZero_Means256()
    {
        Assert.True(CommandApdu.TryParse(Hex("00 B0 00 00 00"), out var apdu, out _));
        Assert.Equal(256, apdu.Ne);
    }

    [Fact]
    public void TryParse_Case3And4Short_ReadDataAndLe()
    {
        Assert.True(CommandApdu.TryParse(Hex("00 A4 02 0C 02 00 06"), out var case3, out _));
        Assert.Equal(new byte[] { 0x00, 0x06 }, case3.Data.ToArray());
        Assert.Null(case3.Ne);

        Assert.True(CommandApdu.TryParse(Hex("80 2A 00 80 02 AA BB 10"), out var case4, out _));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, case4.Data.ToArray());
        Assert.Equal(16, case4.Ne);
    }

    [Fact]
    public void TryParse_ExtendedCases_ReadLengthsAndLe()
    {
        Assert.True(CommandApdu.TryParse(Hex("00 B0 00 00 00 00 00"), out var case2, out _));
        Assert.Equal(65536, case2.Ne);

        var data = new byte[300];
        var case3 = new CommandApdu(0x80, 0xDA, 0x00, 0x01, data, null).ToBytes();
        Assert.Equal(4 + 3 + 300, case3.Length);
        Assert.True(CommandApdu.TryParse(case3, out var parsed3, out _));
        Assert.Equal(300, parsed3.Data.Length);
        Assert.Null(parsed3.Ne);

        var case4 = new CommandApdu(0x80, 0x47, 0x00, 0x17, data, 65536).ToBytes();
        Assert.True(CommandApdu.TryParse(case4, out var parsed4, out _));
        Assert.Equal(300, parsed4.Data.Length);
        Assert.Equal(65536, parsed4.Ne);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("00 A4 04")]
    [InlineData("00 A4 02 0C 02 00")]
    [InlineData("00 A4 02 0C 02 00 06 00 00")]
    [InlineData("00 B0 00 00 00 00")]
    [InlineData("00 B0 00 00 00 00 00 00")]
    [InlineData("00 DA 00 00 00 00 03 AA BB")]
    [InlineData("00 DA 00 00 00 00 00 AA")]
    public void TryParse_MalformedOrTruncated_WrongLength(string hex)
    {
        Assert.False(CommandApdu.TryParse(Hex(hex), out _, out var sw));
        Assert.Equal(StatusWords.WrongLength, sw);
    }

    [Fact]
    public void TryParse_Oversized_WrongLength()
    {
        var raw = new byte[CommandApdu.MaxLength + 1];
        Assert.False(CommandApdu.TryParse(raw, out _, out var sw));
        Assert.Equal(StatusWords.WrongLength, sw);
    }

    [Theory]
    [InlineData("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01")]
    [InlineData("00 B0 00 00 00")]
    [InlineData("00 B0 00 00")]
    [InlineData("80 2A 00 80 03 01 02 03 00")]
    public void ToBytes_ShortForms_RoundTrip(string hex)
    {
        Assert.True(CommandApdu.TryParse(Hex(hex), out var apdu, out _));
        Assert.Equal(Hex(hex), apdu.ToBytes());
    }

    [Fact]
    public void ResponseApdu_ParseAndToBytes_RoundTrip()
    {
        var response = ResponseApdu.Parse(Hex("01 02 63 C2"));
        Assert.Equal(new byte[] { 1, 2 }, response.Data);
        Assert.Equal(StatusWords.VerifyFailed(2), response.Sw);
        Assert.Equal(Hex("01 02 63 C2"), response.ToBytes());
        Assert.Throws<ArgumentException>(() => ResponseApdu.Parse(Hex("90")));
    }
}
