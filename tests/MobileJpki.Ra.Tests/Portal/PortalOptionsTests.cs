using MobileJpki.Ra.Portal;

namespace MobileJpki.Ra.Tests.Portal;

/// <summary>Kiosk and hospital ids: the whole string matches the pattern, a trailing newline included.</summary>
public class PortalOptionsTests
{
    [Theory]
    [InlineData("kiosk-1")]
    [InlineData("Hospital_2.east")]
    public void IsTerminalId_WellFormed_True(string id) => Assert.True(PortalOptions.IsTerminalId(id));

    [Theory]
    [InlineData("kiosk-1\n")]
    [InlineData("kiosk-1\r\n")]
    [InlineData("\nkiosk-1")]
    [InlineData("kiosk 1")]
    [InlineData("kiosk/1")]
    [InlineData("")]
    [InlineData(null)]
    public void IsTerminalId_TrailingNewlineOrForeignCharacter_False(string? id) => Assert.False(PortalOptions.IsTerminalId(id));

    [Fact]
    public void Validate_KioskIdWithTrailingNewline_RefusedAtStartup()
    {
        var options = new PortalOptions { Kiosks = new(StringComparer.Ordinal) { ["kiosk-1\n"] = "0123456789abcdef0123" } };

        var e = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains("Portal:Kiosks", e.Message, StringComparison.Ordinal);
    }
}
