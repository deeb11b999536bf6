namespace MobileJpki.Web.Tests;

/// <summary>The return address of the language toggle (the only LocalRedirect of the site) stays on this site.</summary>
public class WebUiTests
{
    [Theory]
    [InlineData("/app")]
    [InlineData("/")]
    [InlineData("/app/phones/0123456789abcdef?x=%2F%2Fevil")]
    public void IsLocalPath_PathOfThisSite_True(string url) => Assert.True(WebUi.IsLocalPath(url));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/app\r\nSet-Cookie: x=y")]
    public void IsLocalPath_ForeignOrControlCharacters_False(string? url) => Assert.False(WebUi.IsLocalPath(url));
}
