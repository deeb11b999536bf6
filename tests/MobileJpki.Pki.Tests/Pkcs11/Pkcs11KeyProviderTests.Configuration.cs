using MobileJpki.Core;

namespace MobileJpki.Pki.Tests.Pkcs11;

/// <summary>Bad configuration fails at start, clearly, and never shows the PIN.</summary>
public sealed partial class Pkcs11KeyProviderTests
{
    private const string WrongPin = "98765432";

    [Fact]
    public void ForOptions_WrongPin_FailsWithPinIncorrectWithoutThePin()
    {
        var token = SoftHsm.NewLabel("wrongpin");
        hsm.CreateToken(token);
        var options = OptionsWith(hsm.KeyUri(token, "ca-sign", "pin-value=" + WrongPin), hsm.KeyUri(token, "ca-auth", "pin-value=" + WrongPin));

        var error = Assert.Throws<MjpkiException>(() => KeyProviders.ForOptions(options));

        Assert.Equal("hsm-pin-incorrect", error.Code);
        Assert.Contains(token, error.Message, StringComparison.Ordinal);
        Assert.Contains("PIN", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPin, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ForOptions_TokenNotFound_FailsWithTokenNotFound()
    {
        var options = OptionsWith(hsm.KeyUri("no-such-token", "ca-sign"), hsm.KeyUri("no-such-token", "ca-auth"));

        var error = Assert.Throws<MjpkiException>(() => KeyProviders.ForOptions(options));

        Assert.Equal("hsm-token-not-found", error.Code);
        Assert.Contains("'no-such-token'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsm.UserPin, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForOptions_ModuleMissing_FailsWithModuleUnavailable()
    {
        var uri = $"pkcs11:token=t;object=ca-sign?module-path=/nonexistent/libpkcs11.so&pin-value={WrongPin}";

        var error = Assert.Throws<MjpkiException>(() => KeyProviders.ForOptions(OptionsWith(uri, uri.Replace("ca-sign", "ca-auth", StringComparison.Ordinal))));

        Assert.Equal("hsm-module-unavailable", error.Code);
        Assert.Contains("/nonexistent/libpkcs11.so", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPin, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForOptions_NoPinAnywhere_FailsWithPinMissing()
    {
        var token = SoftHsm.NewLabel("nopin");
        hsm.CreateToken(token);
        var options = OptionsWith(hsm.KeyUri(token, "ca-sign", "pin-source=env:MJPKI_TEST_UNSET_PIN"), hsm.KeyUri(token, "ca-auth", "pin-source=env:MJPKI_TEST_UNSET_PIN"));

        var error = Assert.Throws<MjpkiException>(() => KeyProviders.ForOptions(options));

        Assert.Equal("hsm-pin-missing", error.Code);
        Assert.Contains("MJPKI_TEST_UNSET_PIN", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pkcs11:object=k?module-path=/m.so", "token")]
    [InlineData("pkcs11:token=t?module-path=/m.so", "object")]
    [InlineData("pkcs11:token=t;object=k", "module-path")]
    [InlineData("pkcs11:token=t;object=k;slot-id=3?module-path=/m.so", "slot-id")]
    [InlineData("pkcs11:token=t;object=k;type=public?module-path=/m.so", "private")]
    [InlineData("pkcs11:token=t;object=k?module-path=/m.so&pin-value=1&pin-source=file:/p", "not both")]
    [InlineData("pkcs11:token=t;object=k?module-path=/m.so&pin-source=http://x", "pin-source")]
    public void Parse_BadUri_NamesTheProblem(string uri, string expected)
    {
        var error = Assert.Throws<MjpkiException>(() => Pkcs11KeyUri.Parse(uri));

        Assert.Equal("invalid-key-uri", error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PercentEncodedAttributes_AreDecoded()
    {
        var uri = Pkcs11KeyUri.Parse("pkcs11:token=My%20CA;object=ca%2Dsign;id=%01%02?module-path=/usr/lib/x.so&pin-value=1234");

        Assert.Equal("My CA", uri.Token);
        Assert.Equal("ca-sign", uri.Object);
        Assert.Equal(new byte[] { 1, 2 }, uri.Id);
        Assert.Equal("/usr/lib/x.so", uri.ModulePath);
        Assert.Equal("1234", uri.ReadPin());
        Assert.DoesNotContain("1234", uri.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pkcs11:token=t;object=k?module-path=/m.so&pin-value=secret", "pkcs11:token=t;object=k?module-path=/m.so&pin-value=***")]
    [InlineData("pkcs11:token=t;object=k?pin-valeu=secret&module-path=/m.so", "pkcs11:token=t;object=k?pin-valeu=***&module-path=/m.so")]
    [InlineData("pkcs11:token=t;object=k?module-path=/m.so&pin-source=file:/etc/pin", "pkcs11:token=t;object=k?module-path=/m.so&pin-source=file:/etc/pin")]
    [InlineData("soft:ca-sign", "soft:ca-sign")]
    public void Redact_HidesPinValues(string uri, string expected) => Assert.Equal(expected, KeyProviders.Redact(uri));

    [Fact]
    public void KeyProviders_UnknownScheme_IsRefused()
    {
        using var keys = new KeyProviders(new SoftwareKeyProvider(Path.Combine(hsm.Directory, "soft")));

        var error = Assert.Throws<MjpkiException>(() => keys.TryGetKey("kms:abc"));

        Assert.Equal("invalid-key-uri", error.Code);
    }

    private PkiOptions OptionsWith(string signing, string auth) => new()
    {
        DataDirectory = Path.Combine(hsm.Directory, "data-" + Guid.NewGuid().ToString("N")),
        SigningCaKeyUri = signing,
        AuthCaKeyUri = auth,
    };
}
