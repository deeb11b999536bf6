namespace MobileJpki.Card.Tests;

public class PasswordPolicyTests
{
    [Theory]
    [InlineData("ABC123", "ABC123")]
    [InlineData("abc123", "ABC123")]
    [InlineData("a1B2c3D4e5F6g7H8", "A1B2C3D4E5F6G7H8")]
    public void TryNormalizeSigningPassword_Valid_Uppercased(string input, string expected)
    {
        Assert.True(PasswordPolicy.TryNormalizeSigningPassword(input, out var normalized, out var error));
        Assert.Equal(expected, normalized);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AB123")]
    [InlineData("A1234567890123456")]
    [InlineData("ABCDEFG")]
    [InlineData("1234567")]
    [InlineData("ABC-123")]
    [InlineData("ＡＢＣ１２３")]
    [InlineData("ABC 123")]
    public void TryNormalizeSigningPassword_Invalid_BilingualError(string? input)
    {
        Assert.False(PasswordPolicy.TryNormalizeSigningPassword(input, out _, out var error));
        Assert.Contains("パスワード", error, StringComparison.Ordinal);
        Assert.Contains("6–16", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000", true)]
    [InlineData("1234", true)]
    [InlineData("123", false)]
    [InlineData("12345", false)]
    [InlineData("12a4", false)]
    [InlineData("１２３４", false)]
    [InlineData(null, false)]
    public void TryValidateAuthPin_FourAsciiDigitsOnly(string? input, bool valid)
    {
        Assert.Equal(valid, PasswordPolicy.TryValidateAuthPin(input, out var error));
        Assert.Equal(valid, error.Length == 0);
    }

    [Fact]
    public void CreateBlank_BadPasswords_ArgumentExceptionWithPolicyMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => VirtualCard.CreateBlank("short", "1234"));
        Assert.Contains(PasswordPolicy.SigningPasswordRule, e.Message, StringComparison.Ordinal);
        var pin = Assert.Throws<ArgumentException>(() => VirtualCard.CreateBlank("ABC123", "12345"));
        Assert.Contains(PasswordPolicy.AuthPinRule, pin.Message, StringComparison.Ordinal);
    }
}
