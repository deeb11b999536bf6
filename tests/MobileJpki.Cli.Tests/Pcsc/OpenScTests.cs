using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;

namespace MobileJpki.Cli.Tests.Pcsc;

/// <summary>One virtual card served by <c>mjpki card serve</c> for the whole class, read by OpenSC's own tools.</summary>
public sealed class OpenScCardFixture : IAsyncLifetime
{
    public const string SigningPassword = "OPENSC23";
    public const string AuthPin = "2468";

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("mjpki-opensc-").FullName;

    public string CardPath => Path.Combine(Directory, "card.json");

    public X509Certificate2 Signing { get; private set; } = null!;

    public X509Certificate2 Auth { get; private set; } = null!;

    public BridgeProcess? Bridge { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(Pcscd.Variable) != "1")
        {
            return; // Each test then fails naming the variable.
        }

        var (card, signing, auth) = Pcscd.NewCard(SigningPassword, AuthPin);
        card.Save(CardPath);
        (Signing, Auth) = (signing, auth);
        Bridge = BridgeProcess.Start(Directory, "--card", CardPath);
        await Bridge.WaitForAsync("connected to vpcd");
        await Pcscd.WaitForJpkiCardAsync(Bridge);
    }

    public async Task DisposeAsync()
    {
        if (Bridge is not null)
        {
            await Bridge.DisposeAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>The retry counter as the card file holds it (read from a copy of the state, nothing written).</summary>
    public int TriesLeft(PinKind kind)
    {
        var client = new JpkiClient(VirtualCard.Load(CardPath).Applet);
        client.SelectAp();
        return client.GetPinStatus(kind).TriesLeft;
    }
}

/// <summary>OpenSC 0.23 (opensc-tool, pkcs15-tool, pkcs11-tool through opensc-pkcs11.so) against the virtual card via pcscd.</summary>
[Collection(VpcdCollection.Name)]
public sealed class OpenScTests(OpenScCardFixture card) : IClassFixture<OpenScCardFixture>
{
    [Fact]
    public async Task OpenscTool_Name_IsJpki()
    {
        Pcscd.Require();

        var result = await Pcscd.RunAsync("opensc-tool", ["--reader", Pcscd.Reader, "-n"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("jpki", result.Stdout.Trim());
    }

    [Fact]
    public async Task Pkcs15ToolDump_ListsJpkiObjectsAndCounters()
    {
        Pcscd.Require();

        var result = await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "-D"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var label in new[]
        {
            "PKCS#15 Card [JPKI]", "PIN [User Authentication PIN]", "PIN [Digital Signature PIN]",
            "Private RSA Key [User Authentication Key]", "Private RSA Key [Digital Signature Key]",
            "X.509 Certificate [User Authentication Certificate]", "X.509 Certificate [Digital Signature Certificate]",
            "X.509 Certificate [User Authentication Certificate CA]", "X.509 Certificate [Digital Signature Certificate CA]",
        })
        {
            Assert.Contains(label, result.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains($"Tries left     : {card.TriesLeft(PinKind.Auth)}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Tries left     : {card.TriesLeft(PinKind.Signing)}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pkcs15ToolReadCertificate_Auth_IsTheCardsCertificate()
    {
        Pcscd.Require();

        var result = await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "--read-certificate", "01"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var read = X509Certificate2.CreateFromPem(result.Stdout);
        Assert.Equal(card.Auth.RawData, read.RawData);
    }

    [Fact]
    public async Task Pkcs15ToolReadCertificate_Signing_OnlyAfterSigningPin()
    {
        Pcscd.Require();

        var without = await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "--read-certificate", "02"]);
        var with = await Pcscd.RunAsync("pkcs15-tool",
            ["--reader", Pcscd.Reader, "--verify-pin", "--auth-id", "02", "--pin", OpenScCardFixture.SigningPassword, "--read-certificate", "02"]);

        Assert.DoesNotContain("BEGIN CERTIFICATE", without.Stdout, StringComparison.Ordinal);
        Assert.True(with.ExitCode == 0, with.ToString());
        using var read = X509Certificate2.CreateFromPem(with.Stdout);
        Assert.Equal(card.Signing.RawData, read.RawData);
    }

    [Fact]
    public async Task Pkcs11ToolSign_AuthKey_OpensslVerifiesAgainstCertificate()
    {
        Pcscd.Require();
        var data = Path.Combine(card.Directory, "data.txt");
        var signature = Path.Combine(card.Directory, "data.sig");
        var publicKey = Path.Combine(card.Directory, "auth.pub.pem");
        await File.WriteAllTextAsync(data, "JPKI 利用者証明用電子証明書で署名 " + Guid.NewGuid());
        await File.WriteAllTextAsync(publicKey, PemEncoding.WriteString("PUBLIC KEY", card.Auth.PublicKey.ExportSubjectPublicKeyInfo()));

        var sign = await Pcscd.RunAsync("pkcs11-tool", ["--module", Pcscd.Pkcs11Module, "--token-label", "JPKI (User Authentication PIN)",
            "--login", "--pin", OpenScCardFixture.AuthPin, "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "01",
            "--input-file", data, "--output-file", signature]);
        var verify = await Pcscd.RunAsync("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", signature, data]);

        Assert.True(sign.ExitCode == 0, sign.ToString());
        Assert.Equal(256, new FileInfo(signature).Length);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Verified OK", verify.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPinThroughOpenSc_DecrementsTheCardFilesCounter_RightPinRestoresIt()
    {
        Pcscd.Require();
        var before = card.TriesLeft(PinKind.Auth);

        var wrong = await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "--verify-pin", "--auth-id", "01", "--pin", "0000"]);
        var afterWrong = card.TriesLeft(PinKind.Auth);
        var right = await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "--verify-pin", "--auth-id", "01", "--pin", OpenScCardFixture.AuthPin]);

        Assert.True(wrong.ExitCode != 0, wrong.ToString());
        Assert.Equal(before - 1, afterWrong);
        Assert.True(right.ExitCode == 0, right.ToString());
        Assert.Equal(JpkiFiles.MaxTries(PinKind.Auth), card.TriesLeft(PinKind.Auth));
    }

    [Fact]
    public async Task Pkcs11ToolLogin_WrongPin_DecrementsTheCardFilesCounter()
    {
        Pcscd.Require();
        var before = card.TriesLeft(PinKind.Signing);

        var wrong = await Pcscd.RunAsync("pkcs11-tool", ["--module", Pcscd.Pkcs11Module, "--token-label", "JPKI (Digital Signature PIN)",
            "--login", "--pin", "WRONG1", "--list-objects"]);

        Assert.True(wrong.ExitCode != 0, wrong.ToString());
        Assert.Equal(before - 1, card.TriesLeft(PinKind.Signing));
        Assert.True((await Pcscd.RunAsync("pkcs15-tool", ["--reader", Pcscd.Reader, "--verify-pin", "--auth-id", "02", "--pin", OpenScCardFixture.SigningPassword])).ExitCode == 0);
    }
}
