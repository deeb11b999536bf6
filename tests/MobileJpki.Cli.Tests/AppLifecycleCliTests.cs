using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MobileJpki.Core;

namespace MobileJpki.Cli.Tests;

/// <summary>The app's lifecycle through the real <c>mjpki</c> against a real server process.</summary>
public sealed partial class AppLifecycleCliTests(ServerProcess server) : IClassFixture<ServerProcess>
{
    [Fact]
    public async Task Lifecycle_SuspendResumeRegisterResetChangeDeviceRevoke_EachStepAsDesigned()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-cli-lifecycle-").FullName;
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "card", "issue", "--server", server.Url, "--out", "card.json",
            "--name", "生涯 一郎", "--birth", "1979-09-09", "--gender", "male", "--address", "福岡県福岡市中央区天神1-1",
            "--sign-password", "CARD2023", "--auth-pin", "1234"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "phone.json", "--model", "pixel-8"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "apply", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "sandbox", "clock", "--server", server.Url, "--to-opening"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json"));
        var first = await CertsAsync(dir, "phone.json");
        var oldSigning = Serial(first, CertificateKind.PhoneSigning);
        var auth = Serial(first, CertificateKind.PhoneAuth);

        // A factory reset keeps the SE's certificates: only 失効 removes them.
        File.Copy(Path.Combine(dir, "phone.json"), Path.Combine(dir, "reset-copy.json"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "factory-reset", "--phone", "reset-copy.json"));
        Assert.Equal(first.Select(c => c.Thumbprint).Order(), (await CertsAsync(dir, "reset-copy.json")).Select(c => c.Thumbprint).Order());

        // 一時利用停止, then 解除: auth good again, signing revoked and issued again, 利用登録 again.
        var suspend = await Mjpki.RunAsync(dir, "app", "suspend", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(suspend);
        Assert.Contains($"suspended {oldSigning}", suspend.Stdout, StringComparison.Ordinal);
        var held = await StatusAsync(dir);
        Assert.Contains($"certificate auth {auth} suspended", held, StringComparison.Ordinal);

        var resume = await Mjpki.RunAsync(dir, "app", "resume", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "RESUME2024");
        Mjpki.AssertSuccess(resume);
        Assert.Contains("一時利用停止を解除しました", resume.Stdout, StringComparison.Ordinal);
        var twice = Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "resume", "--server", server.Url, "--phone", "phone.json", "--card", "card.json",
            "--card-password", "CARD2023", "--new-sign-password", "RESUME2024"));
        Assert.Contains("一時利用停止されていません", twice, StringComparison.Ordinal);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "phone.json", "--timeout", "120"));
        var register = await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "phone.json");
        Mjpki.AssertSuccess(register);
        var second = await CertsAsync(dir, "phone.json");
        var newSigning = Serial(second, CertificateKind.PhoneSigning);
        Assert.NotEqual(oldSigning, newSigning);
        Assert.Equal(auth, Serial(second, CertificateKind.PhoneAuth));
        var resumed = await StatusAsync(dir);
        Assert.Contains($"certificate sign {oldSigning} revoked", resumed, StringComparison.Ordinal);
        Assert.Contains($"certificate sign {newSigning} active", resumed, StringComparison.Ordinal);
        Assert.Contains($"certificate auth {auth} active", resumed, StringComparison.Ordinal);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "check-password", "--server", server.Url, "--phone", "phone.json", "--kind", "sign", "--password", "RESUME2024"));

        // パスワード初期化 of a locked auth PIN with the card's auth PIN.
        for (var i = 0; i < 2; i++)
        {
            Assert.Contains("残り", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "check-password", "--server", server.Url, "--phone", "phone.json", "--kind", "auth", "--password", "0000")), StringComparison.Ordinal);
        }

        var locked = Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "check-password", "--server", server.Url, "--phone", "phone.json", "--kind", "auth", "--password", "0000"));
        Assert.Contains("reset-password --kind auth", locked, StringComparison.Ordinal);
        Assert.Contains("password auth locked", await StatusAsync(dir), StringComparison.Ordinal);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "reset-password", "--server", server.Url, "--phone", "phone.json", "--kind", "auth",
            "--card", "card.json", "--card-pin", "1234", "--new-password", "2468"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "check-password", "--server", server.Url, "--phone", "phone.json", "--kind", "auth", "--password", "2468"));
        Assert.Contains("password auth 3 tries left", await StatusAsync(dir), StringComparison.Ordinal);

        // 機種変更 on a new phone: warned, refused without --yes, then the old phone's certificates go.
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "phone", "new", "--out", "new.json", "--model", "galaxy-s23"));
        string[] changeArgs = ["app", "change-device", "--server", server.Url, "--phone", "new.json", "--card", "card.json", "--card-password", "CARD2023", "--new-sign-password", "PHONE2023", "--new-auth-pin", "5678"];
        var unconfirmed = await Mjpki.RunAsync(dir, changeArgs);
        Mjpki.AssertOneLineFailure(unconfirmed);
        Assert.Contains("これまでのスマホのスマホ用電子証明書は失効します", unconfirmed.Stdout, StringComparison.Ordinal);
        Assert.Contains("revokes the smartphone certificates on your old phone", unconfirmed.Stdout, StringComparison.Ordinal);
        Assert.Contains($"certificate sign {newSigning} active", await StatusAsync(dir), StringComparison.Ordinal);
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, [.. changeArgs, "--yes"]));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "wait", "--server", server.Url, "--phone", "new.json", "--timeout", "120"));
        Mjpki.AssertSuccess(await Mjpki.RunAsync(dir, "app", "register", "--server", server.Url, "--phone", "new.json"));
        Assert.Equal(2, (await CertsAsync(dir, "new.json")).Count);
        var old = await StatusAsync(dir);
        Assert.Contains($"certificate sign {newSigning} revoked", old, StringComparison.Ordinal);
        Assert.Empty(await CertsAsync(dir, "phone.json"));

        // 失効 from the app: both revoked, the SE emptied; suspending afterwards is refused.
        var revoke = await Mjpki.RunAsync(dir, "app", "revoke", "--server", server.Url, "--phone", "new.json");
        Mjpki.AssertSuccess(revoke);
        Assert.Equal(2, RevokedLine().Matches(revoke.Stdout).Count);
        Assert.Empty(await CertsAsync(dir, "new.json"));
        var status = await StatusAsync(dir, "new.json");
        Assert.Equal(2, Regex.Matches(status, " revoked until ").Count);
        Assert.DoesNotContain(" active until ", status, StringComparison.Ordinal);
        Assert.Contains("失効済み", Mjpki.AssertOneLineFailure(await Mjpki.RunAsync(dir, "app", "suspend", "--server", server.Url, "--phone", "new.json")), StringComparison.Ordinal);
    }

    private async Task<string> StatusAsync(string dir, string phone = "phone.json")
    {
        var status = await Mjpki.RunAsync(dir, "app", "status", "--server", server.Url, "--phone", phone);
        Mjpki.AssertSuccess(status);
        return status.Stdout;
    }

    private static async Task<List<X509Certificate2>> CertsAsync(string dir, string phone)
    {
        var certs = await Mjpki.RunAsync(dir, "phone", "certs", "--phone", phone);
        Mjpki.AssertSuccess(certs);
        return PemBlock().Matches(certs.Stdout).Select(m => X509Certificate2.CreateFromPem(m.Value)).ToList();
    }

    private static string Serial(IEnumerable<X509Certificate2> certs, CertificateKind kind) =>
        certs.Single(c => CertificatePolicies.KindOf(c) == kind).SerialNumber.ToLowerInvariant();

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----")]
    private static partial Regex PemBlock();

    [GeneratedRegex("^revoked [0-9a-f]+$", RegexOptions.Multiline)]
    private static partial Regex RevokedLine();
}
