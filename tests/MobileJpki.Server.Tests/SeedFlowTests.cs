using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>The seed's flow end to end, in-process: card → phone → 利用申請 → 発行 → プッシュ通知 → 利用登録.</summary>
public abstract class SeedFlowTests(MjpkiServer server)
{
    private static readonly string[] SeedTitles =
    [
        "スマホ用電子証明書が申請できます",
        "スマホ搭載でできること",
        "確認しました",
        "マイナンバーカードの読み取り",
        "読み取りに成功しました",
        "読み取り完了",
        "申請完了",
        "プッシュ通知",
        "利用登録",
        "利用登録が完了しました",
    ];

    [Fact]
    public async Task Settings_StorageAndDataDirectory_AreTheTestsTempDirectory()
    {
        var before = (await server.CountsAsync()).Persons;

        await server.IssueCardAsync();

        if (server.Provider == MobileJpki.Storage.StorageProvider.Sqlite)
        {
            Assert.True(File.Exists(Path.Combine(server.Root, "t.db")), "the database is not in the test's temp directory");
        }
        else
        {
            Assert.False(File.Exists(Path.Combine(server.Root, "t.db")), "a SQLite file appeared although the provider is PostgreSQL");
        }

        Assert.Equal(before + 1, (await server.CountsAsync()).Persons);

        // The CA that signed the card is the one whose files are in the temp directory.
        using var signingCa = await server.CaCertificateAsync("sign.cer");
        var stored = Directory.EnumerateFiles(server.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(".db", StringComparison.Ordinal))
            .Select(File.ReadAllBytes)
            .ToArray();
        Assert.Contains(stored, bytes => bytes.AsSpan().SequenceEqual(signingCa.RawData));
    }

    [Fact]
    public async Task ApplyWaitRegister_SeedFlow_ShowsSeedScreensAndActivatesBothCertificates()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync("マイナ 花子", "1990-06-15", "female", "大阪府大阪市北区中之島1-3-20");
        var phone = server.NewPhone("pixel-8");
        var screens = new RecordingScreens();
        var app = server.NewApp(phone, screens);

        var receipt = await app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);
        Assert.Equal("queued", receipt.Status);
        Assert.True(receipt.ProcessAfter <= receipt.AcceptedAt, "inside the window an application is due at once");
        var notice = await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal("issued", notice.Type);
        Assert.Equal(receipt.ApplicationId, notice.ApplicationId);
        var certs = await app.RegisterAsync(CancellationToken.None);

        AssertSubsequence(SeedTitles, screens.Titles);

        // Both certificates, told apart by policy.
        Assert.Equal(2, certs.Count);
        var sign = Assert.Single(certs, c => CertificatePolicies.Has(c, Oids.PolicyPhoneSigning));
        var auth = Assert.Single(certs, c => CertificatePolicies.Has(c, Oids.PolicyPhoneAuth));
        Assert.Equal(CertificateKind.PhoneSigning, CertificatePolicies.KindOf(sign));
        Assert.Equal(CertificateKind.PhoneAuth, CertificatePolicies.KindOf(auth));

        // They chain to the CA certificates the server publishes.
        var now = server.Clock.GetUtcNow();
        using (var signCa = await server.CaCertificateAsync("sign.cer"))
        using (var authCa = await server.CaCertificateAsync("auth.cer"))
        {
            AssertChains(sign, signCa, now);
            AssertChains(auth, authCa, now);
            Assert.False(Chains(sign, authCa, now), "the signing certificate must not chain to the auth CA");
        }

        // 基本4情報 of the phone signing certificate is the card's; the auth certificate has none.
        using var cardSign = card.SigningCertificate;
        using var cardAuth = card.AuthCertificate;
        Assert.True(Basic4InfoCodec.TryRead(cardSign, out var cardInfo));
        Assert.True(Basic4InfoCodec.TryRead(sign, out var phoneInfo));
        Assert.Equal(cardInfo, phoneInfo);
        Assert.Equal("マイナ 花子", phoneInfo!.Name);
        Assert.False(Basic4InfoCodec.TryRead(auth, out _));

        // A phone certificate never outlives the card certificate it derives from.
        Assert.True(sign.NotAfter <= cardSign.NotAfter);
        Assert.True(auth.NotAfter <= cardAuth.NotAfter);

        // The SE holds exactly these certificates and the keys they certify.
        var inSe = PortalApp.ReadCertificates(phone);
        Assert.Equal(certs.Select(c => c.Thumbprint).Order(), inSe.Select(c => c.Thumbprint).Order());
        Assert.True(phone.SecureElement.HasKey(PinKind.Signing));
        Assert.True(phone.SecureElement.HasKey(PinKind.Auth));

        // The database, read afresh: both active, bound to this phone and this person.
        await using var db = server.OpenDb();
        var serials = certs.Select(c => c.SerialNumber.ToLowerInvariant()).ToArray();
        var rows = await db.Certificates.Where(c => serials.Contains(c.Serial)).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal((int)CertificateStatus.Active, r.Status);
            Assert.Equal(phone.PhoneId, r.PhoneId);
            Assert.Equal(Guid.Parse(card.Issued.PersonId), r.PersonId);
            Assert.Equal(Guid.Parse(receipt.ApplicationId), r.ApplicationId);
        });
        var application = await db.Applications.SingleAsync(a => a.Id == Guid.Parse(receipt.ApplicationId));
        Assert.Equal((int)ApplicationStatus.Issued, application.Status);
        Assert.Null(app.PendingApplicationId);
    }

    [Fact]
    public async Task ApplyAsync_LowercaseNewSigningPassword_IsAcceptedUppercased()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone("xperia-10-v");
        var app = server.NewApp(phone);

        await app.ApplyAsync(
            card.Card.Applet,
            new ApplyOptions { CardPassword = card.Password.ToLowerInvariant(), NewSigningPassword = "phone2023", NewAuthPin = "0000", Confirmed = true },
            CancellationToken.None);

        // The SE's signing PIN is the uppercased password: VERIFY with the uppercase form succeeds.
        var se = new JpkiClient(phone.SecureElement.OpenChannel(MobileJpki.Device.AppIdentity.PortalApp));
        se.SelectAp();
        Assert.True(se.Verify(PinKind.Signing, "PHONE2023").Verified);
        Assert.True(se.Verify(PinKind.Auth, "0000").Verified);
    }

    private static void AssertSubsequence(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var at = 0;
        foreach (var title in actual)
        {
            if (at < expected.Count && title.StartsWith(expected[at], StringComparison.Ordinal))
            {
                at++;
            }
        }

        Assert.True(at == expected.Count, $"screens out of the seed's order; matched {at} of {expected.Count}. Shown: {string.Join(" → ", actual)}");
    }

    private static void AssertChains(X509Certificate2 leaf, X509Certificate2 ca, DateTimeOffset at) =>
        Assert.True(Chains(leaf, ca, at), $"{leaf.Subject} does not chain to {ca.Subject}");

    private static bool Chains(X509Certificate2 leaf, X509Certificate2 ca, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        return chain.Build(leaf) && chain.ChainElements[^1].Certificate.Thumbprint == ca.Thumbprint;
    }
}

/// <summary>The seed flow on SQLite.</summary>
public sealed class SqliteSeedFlowTests(MjpkiServer server) : SeedFlowTests(server), IClassFixture<MjpkiServer>;

/// <summary>The seed flow on PostgreSQL.</summary>
public sealed class PostgresSeedFlowTests(PostgresMjpkiServer server) : SeedFlowTests(server), IClassFixture<PostgresMjpkiServer>;
