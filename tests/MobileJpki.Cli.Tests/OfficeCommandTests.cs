using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Cli.Tests;

/// <summary><c>mjpki office …</c> as real processes against a real server process.</summary>
public sealed partial class OfficeCommandTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task AddressChange_CardWithRegisteredPhone_CardReKeyedPhoneSigningRevokedThenReissuedWithNewAddress()
    {
        var dir = await RegisteredPhoneAsync("転居 一郎");
        var oldCard = VirtualCard.Load(Path.Combine(dir, "card.json"));
        using var oldSigning = X509CertificateLoader.LoadCertificate(oldCard.CertificateDer(PinKind.Signing)!);
        var before = await Mjpki.RunAsync(dir, "app", "status", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(before);
        var phoneSign = CertificateLine().Matches(before.Stdout).Single(m => m.Groups["kind"].Value == "sign").Groups["serial"].Value;
        var phoneAuth = CertificateLine().Matches(before.Stdout).Single(m => m.Groups["kind"].Value == "auth").Groups["serial"].Value;

        var change = await Mjpki.RunAsync(dir, "office", "address-change", "--server", server.Url, "--card", "card.json", "--address", "福岡県福岡市中央区天神1-8-1");

        Mjpki.AssertSuccess(change);
        Assert.Contains($"card-sign {oldSigning.SerialNumber.ToLowerInvariant()}: revoked (affiliationChanged)", change.Stdout, StringComparison.Ordinal);
        Assert.Contains($"phone-sign {phoneSign}: revoked (affiliationChanged)", change.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(phoneAuth, change.Stdout, StringComparison.Ordinal);

        // The card file now holds a new signing key and its certificate with the new address; the auth side is unchanged.
        var card = VirtualCard.Load(Path.Combine(dir, "card.json"));
        Assert.NotEqual(oldCard.SigningPublicKeyInfo, card.SigningPublicKeyInfo);
        Assert.Equal(oldCard.AuthPublicKeyInfo, card.AuthPublicKeyInfo);
        using (var signing = X509CertificateLoader.LoadCertificate(card.CertificateDer(PinKind.Signing)!))
        {
            Assert.Equal(card.SigningPublicKeyInfo, signing.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.True(Basic4InfoCodec.TryRead(signing, out var facts));
            Assert.Equal("福岡県福岡市中央区天神1-8-1", facts!.Address);
            Assert.Equal("転居 一郎", facts.Name);
        }

        var status = await Mjpki.RunAsync(dir, "app", "status", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(status);
        Assert.Contains($"certificate sign {phoneSign} revoked", status.Stdout, StringComparison.Ordinal);
        Assert.Contains($"certificate auth {phoneAuth} active", status.Stdout, StringComparison.Ordinal);

        // The phone applies again for the signing certificate with the re-keyed card.
        var apply = await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--kinds", "sign", "--new-sign-password", "PHONE2024", "--new-auth-pin", "5678");
        Mjpki.AssertSuccess(apply);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));
        var certs = await Mjpki.RunAsync(dir, "phone", "certs", "--phone", "phone.json");
        Mjpki.AssertSuccess(certs);
        var sign = PemBlock().Matches(certs.Stdout).Select(m => X509Certificate2.CreateFromPem(m.Value))
            .Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning);
        Assert.True(Basic4InfoCodec.TryRead(sign, out var phoneFacts));
        Assert.Equal("福岡県福岡市中央区天神1-8-1", phoneFacts!.Address);
        Assert.NotEqual(phoneSign, sign.SerialNumber.ToLowerInvariant());
    }

    [Fact]
    public async Task LoseFoundRenew_ByCardFile_HoldLiftedAndCardRenewed()
    {
        var dir = await CardAsync("紛失 花子");
        var lose = await Mjpki.RunAsync(dir, "office", "lose", "--server", server.Url, "--card", "card.json");
        Mjpki.AssertSuccess(lose);
        Assert.Equal(2, Regex.Count(lose.Stdout, ": suspended \\(certificateHold\\)"));

        var again = await Mjpki.RunAsync(dir, "office", "lose", "--server", server.Url, "--card", "card.json");
        Assert.Contains("already on hold", Mjpki.AssertOneLineFailure(again), StringComparison.Ordinal);

        var found = await Mjpki.RunAsync(dir, "office", "found", "--server", server.Url, "--card", "card.json");
        Mjpki.AssertSuccess(found);
        Assert.Equal(2, Regex.Count(found.Stdout, ": active"));

        var oldAuth = VirtualCard.Load(Path.Combine(dir, "card.json")).AuthPublicKeyInfo;
        var renew = await Mjpki.RunAsync(dir, "office", "renew", "--server", server.Url, "--card", "card.json");
        Mjpki.AssertSuccess(renew);
        Assert.Equal(2, Regex.Count(renew.Stdout, ": revoked \\(card-renewed\\)"));
        Assert.NotEqual(oldAuth, VirtualCard.Load(Path.Combine(dir, "card.json")).AuthPublicKeyInfo);
        var info = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Mjpki.AssertSuccess(info);
        Assert.Contains(Regex.Match(renew.Stdout, "new card-auth (?<s>[0-9a-f]+)").Groups["s"].Value, info.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPin_BlockedAuthPin_CounterResetAndRecorded()
    {
        var dir = await CardAsync("暗証 三郎");
        var path = Path.Combine(dir, "card.json");
        using (var card = VirtualCard.Open(path))
        {
            var client = new JpkiClient(card.Applet);
            for (var i = 0; i < 3; i++)
            {
                client.Verify(PinKind.Auth, "0000");
            }
        }

        var bad = await Mjpki.RunAsync(dir, "office", "reset-pin", "--card", "card.json", "--kind", "auth", "--new-pin", "12ab", "--server", server.Url);
        Assert.Contains("4桁", Mjpki.AssertOneLineFailure(bad), StringComparison.Ordinal);
        var blocked = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Assert.Contains("auth PIN: locked", blocked.Stdout, StringComparison.Ordinal);

        var reset = await Mjpki.RunAsync(dir, "office", "reset-pin", "--card", "card.json", "--kind", "auth", "--new-pin", "4321", "--server", server.Url);

        Mjpki.AssertSuccess(reset);
        var info = await Mjpki.RunAsync(dir, "card", "info", "--card", "card.json");
        Assert.Contains("auth PIN: 3 tries left", info.Stdout, StringComparison.Ordinal);
        Assert.True(new JpkiClient(VirtualCard.Load(path).Applet).Verify(PinKind.Auth, "4321").Verified);
    }

    [Fact]
    public async Task OfficeCommands_BadInput_OneLineErrorsCardFileUnchanged()
    {
        var dir = await CardAsync("誤り 四郎");
        var path = Path.Combine(dir, "card.json");
        var before = await File.ReadAllBytesAsync(path);

        var unknown = await Mjpki.RunAsync(dir, "office", "lose", "--server", server.Url, "--person", Guid.NewGuid().ToString());
        var both = await Mjpki.RunAsync(dir, "office", "found", "--server", server.Url, "--person", Guid.NewGuid().ToString(), "--card", "card.json");
        var nothing = await Mjpki.RunAsync(dir, "office", "address-change", "--server", server.Url, "--card", "card.json");
        var kind = await Mjpki.RunAsync(dir, "office", "reset-pin", "--card", "card.json", "--kind", "pin", "--new-pin", "1234");

        Assert.Contains("No person", Mjpki.AssertOneLineFailure(unknown), StringComparison.Ordinal);
        Assert.Contains("exactly one", Mjpki.AssertOneLineFailure(both), StringComparison.Ordinal);
        Assert.Contains("--address", Mjpki.AssertOneLineFailure(nothing), StringComparison.Ordinal);
        Assert.Contains("--kind", Mjpki.AssertOneLineFailure(kind), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));

        // Made final, the card is revoked: the office refuses to re-key it and the card file keeps its keys.
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "office", "lose", "--server", server.Url, "--card", "card.json", "--final"));
        var changed = await Mjpki.RunAsync(dir, "office", "address-change", "--server", server.Url, "--card", "card.json", "--address", "沖縄県那覇市泉崎1-2-2");
        Assert.Contains("revoked", Mjpki.AssertOneLineFailure(changed), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    private async Task<string> CardAsync(string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(server.Root, "office-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", name, "--birth", "1980-02-02", "--gender", "male", "--address", "東京都千代田区紀尾井町1-3",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        return dir;
    }

    private async Task<string> RegisteredPhoneAsync(string name)
    {
        var dir = await CardAsync(name);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));
        return dir;
    }

    [GeneratedRegex("certificate (?<kind>sign|auth) (?<serial>[0-9a-f]+) active")]
    private static partial Regex CertificateLine();

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----")]
    private static partial Regex PemBlock();
}
