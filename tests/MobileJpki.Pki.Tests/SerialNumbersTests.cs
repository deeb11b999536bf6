using System.Numerics;

namespace MobileJpki.Pki.Tests;

public sealed class SerialNumbersTests
{
    [Fact]
    public void New_ThousandSerials_AreSixteenPositiveBytesAndUnique()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var topBitsSeen = 0;
        for (var i = 0; i < 1000; i++)
        {
            var serial = SerialNumbers.New();

            Assert.Equal(16, serial.Length);
            Assert.NotEqual(0, serial[0]);
            Assert.Equal(0, serial[0] & 0x80);
            Assert.True(new BigInteger(serial, isUnsigned: false, isBigEndian: true).Sign > 0);
            Assert.True(seen.Add(Convert.ToHexString(serial)));
            topBitsSeen |= serial[0];
        }

        // All seven usable bits of the first byte vary: the randomness is not confined to the tail.
        Assert.Equal(0x7F, topBitsSeen);
    }

    [Fact]
    public void IsWellFormed_RejectsPaddedNegativeAndShortSerials()
    {
        Assert.True(SerialNumbers.IsWellFormed(SerialNumbers.New()));
        Assert.False(SerialNumbers.IsWellFormed(new byte[16]));
        Assert.False(SerialNumbers.IsWellFormed([0x80, .. new byte[15]]));
        Assert.False(SerialNumbers.IsWellFormed([0x01, .. new byte[14]]));
    }
}
