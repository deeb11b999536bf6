using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>
/// E-applications in My Page through the real server and database: the five forms signed in the SE as CMS, stored as
/// submitted (openssl verifies them), the person's own history, and every refusal leaving nothing stored.
/// </summary>
public abstract class EApplicationTests(MjpkiServer server)
{
    private const string SigningPassword = "PHONE2023";
    private const string Path = "/api/v1/portal/e-applications";

    private static readonly ConditionalWeakTable<MjpkiServer, Task<Person>> FormTesters = [];

    [Fact]
    public async Task Submit_EveryType_StoredAsSignedHistoryNewestFirstAndUsageRecorded()
    {
        var me = await PersonAsync("申請 一郎");
        var submitted = new List<EApplicationReceipt>();
        foreach (var type in EApplicationTypes.All)
        {
            submitted.Add(await me.App.SubmitEApplicationAsync(me.Token, type, Form(type), SigningPassword, CancellationToken.None));
        }

        // History: all five, newest first, only mine.
        var history = await server.Api.GetEApplicationsAsync(me.Token, 50, CancellationToken.None);
        Assert.Equal(EApplicationTypes.All.Reverse(), history.Select(h => h.Type));
        Assert.Equal(submitted.Select(s => s.Application.Id).Reverse(), history.Select(h => h.Id));
        Assert.All(history, h => Assert.Equal(me.SigningSerial, h.CertificateSerial));
        Assert.Contains("****567", history.Single(h => h.Type == EApplicationTypes.BenefitAccount).Summary, StringComparison.Ordinal);
        // Summaries carry no 基本4情報: neither the address nor the name given in the forms.
        Assert.All(history, h => Assert.DoesNotContain("大阪府", h.Summary, StringComparison.Ordinal));
        Assert.All(history, h => Assert.DoesNotContain("DIGITAL", h.Summary, StringComparison.Ordinal));

        // The stored CMS is what the SE signed: the phone signing certificate, the form as content, and it verifies.
        await using var db = server.OpenDb();
        var rows = await db.EApplications.AsNoTracking().Where(a => a.PersonId == me.PersonId).ToListAsync();
        Assert.Equal(5, rows.Count);
        foreach (var row in rows)
        {
            var cms = new SignedCms();
            cms.Decode(row.Cms);
            cms.CheckSignature(verifySignatureOnly: true);
            Assert.Single(cms.SignerInfos);
            var signer = cms.SignerInfos[0];
            Assert.Equal(me.SigningCertificate.RawData, signer.Certificate!.RawData);
            Assert.Equal(CertificateKind.PhoneSigning, CertificatePolicies.KindOf(signer.Certificate));
            Assert.Contains(signer.SignedAttributes.Cast<CryptographicAttributeObject>(), a => a.Oid.Value == "1.2.840.113549.1.9.5");
            Assert.Contains(signer.SignedAttributes.Cast<CryptographicAttributeObject>(), a => a.Oid.Value == EApplicationCms.SigningCertificateV2Oid);
            var content = JsonDocument.Parse(cms.ContentInfo.Content).RootElement;
            Assert.Equal(row.Type, content.GetProperty("type").GetString());
            Assert.Equal(row.CertificateSerial, me.SigningSerial);
            Assert.Equal("received", row.Status);
            Assert.Equal(row.Cms, await server.Api.GetEApplicationCmsAsync(me.Token, row.Id.ToString(), CancellationToken.None));
        }

        var usage = await db.Usage.AsNoTracking().Where(u => u.PersonId == me.PersonId && u.Kind == UsageKinds.EApplication).ToListAsync();
        Assert.Equal(5, usage.Count);
        Assert.All(usage, u => Assert.Equal(me.SigningSerial, u.CertificateSerial));
    }

    [Fact]
    public async Task Submit_AfterPhoneLogin_AcceptedAndShownInUsageLog()
    {
        var me = await PersonAsync("ログイン 一美");

        // The real login: challenge, the SE signs with the auth key after the PIN, a portal session.
        var session = await me.App.LoginAsync("5678", CancellationToken.None);
        var receipt = await me.App.SubmitEApplicationAsync(session.Token, EApplicationTypes.MovingOut, Form(EApplicationTypes.MovingOut), SigningPassword, CancellationToken.None);

        Assert.Equal(EApplicationTypes.MovingOut, receipt.Application.Type);
        Assert.Equal(receipt.Application.Id, Assert.Single(await server.Api.GetEApplicationsAsync(session.Token, 50, CancellationToken.None)).Id);
        var usage = await server.Api.GetUsageAsync(session.Token, 0, 10, CancellationToken.None);
        Assert.Equal(UsageKinds.EApplication, usage.Items[0].Kind);
        Assert.Equal(me.SigningSerial, usage.Items[0].CertificateSerial);
        Assert.Equal(UsageKinds.Login, usage.Items[1].Kind);
    }

    [Fact]
    public async Task Submit_StoredCms_OpenSslCmsVerifyAccepts()
    {
        var me = await PersonAsync("検証 二郎");
        var receipt = await me.App.SubmitEApplicationAsync(me.Token, EApplicationTypes.Passport, Form(EApplicationTypes.Passport), SigningPassword, CancellationToken.None);
        byte[] stored;
        await using (var db = server.OpenDb())
        {
            stored = (await db.EApplications.AsNoTracking().SingleAsync(a => a.Id == Guid.Parse(receipt.Application.Id))).Cms;
        }

        var dir = Directory.CreateTempSubdirectory("mjpki-eapp-").FullName;
        try
        {
            var der = System.IO.Path.Combine(dir, "stored.der");
            var root = System.IO.Path.Combine(dir, "root.pem");
            var content = System.IO.Path.Combine(dir, "content.json");
            await File.WriteAllBytesAsync(der, stored);
            await File.WriteAllTextAsync(root, (await server.CaCertificateAsync("sign.cer")).ExportCertificatePem());

            // -attime: the certificates were issued on the sandbox clock, which may run ahead of this machine's clock
            // (tests move it to the next 08:00 opening), so openssl checks validity at the server's "now" rather than
            // skipping time checks altogether (-no_check_time). The root is self-signed: no -partial_chain.
            var at = server.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var (code, output) = Run("cms", "-verify", "-inform", "DER", "-in", der, "-CAfile", root, "-purpose", "any", "-attime", at, "-out", content);

            Assert.True(code == 0, output);
            Assert.Contains("Verification successful", output, StringComparison.Ordinal);
            var signed = JsonDocument.Parse(await File.ReadAllBytesAsync(content)).RootElement;
            Assert.Equal(EApplicationTypes.Passport, signed.GetProperty("type").GetString());
            Assert.Equal("DIGITAL TARO", signed.GetProperty("form").GetProperty("nameRomaji").GetString());

            // And openssl refuses the same bytes with one content byte changed.
            var altered = Alter(stored, "DIGITAL TARO", "DIGITAL JIRO");
            await File.WriteAllBytesAsync(der, altered);
            Assert.NotEqual(0, Run("cms", "-verify", "-inform", "DER", "-in", der, "-CAfile", root, "-purpose", "any", "-attime", at, "-out", content).Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Submit_ContentChangedAfterSigning_BadSignatureNothingStored()
    {
        var me = await PersonAsync("改ざん 三郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.BenefitAccount), SigningPassword, server.Clock.GetUtcNow());
        var altered = Alter(cms, "1234567", "7654321");

        await AssertRefusedAsync(me, EApplicationTypes.BenefitAccount, altered, 400, "bad-e-application-signature");
    }

    [Fact]
    public async Task Submit_SignatureBytesFlipped_BadSignatureNothingStored()
    {
        var me = await PersonAsync("反転 四郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.MovingOut), SigningPassword, server.Clock.GetUtcNow());

        // The SignerInfo's signature is the last element of the DER (no unsigned attributes).
        cms[^10] ^= 0x01;

        await AssertRefusedAsync(me, EApplicationTypes.MovingOut, cms, 400, "bad-e-application-signature");
    }

    [Fact]
    public async Task Submit_SameCmsTwiceOrRewrapped_DuplicateOnlyFirstStored()
    {
        var me = await PersonAsync("二重 申請");
        var now = server.Clock.GetUtcNow();
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.BenefitAccount), SigningPassword, now);
        using (var first = await PostAsync(me.Token, new EApplicationSubmission(EApplicationTypes.BenefitAccount, Convert.ToBase64String(cms))))
        {
            Assert.Equal(201, (int)first.StatusCode);
        }

        // The same bytes, and the same signature in a CMS with one more certificate (other bytes, same signed document).
        var rewrapped = new SignedCms();
        rewrapped.Decode(cms);
        using (var extraKey = RSA.Create(2048))
        using (var extra = new CertificateRequest("CN=extra", extraKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(now.AddDays(-1), now.AddDays(1)))
        {
            rewrapped.AddCertificate(extra);
        }

        var rewrappedBytes = rewrapped.Encode();
        Assert.NotEqual(cms, rewrappedBytes);
        foreach (var again in new[] { cms, rewrappedBytes })
        {
            using var response = await PostAsync(me.Token, new EApplicationSubmission(EApplicationTypes.BenefitAccount, Convert.ToBase64String(again)));
            Assert.Equal(409, (int)response.StatusCode);
            Problem.AssertBody(await response.Content.ReadAsStringAsync(), "e-application-duplicate");
        }

        await using (var db = server.OpenDb())
        {
            Assert.Equal(cms, (await db.EApplications.AsNoTracking().SingleAsync(a => a.PersonId == me.PersonId)).Cms);
            Assert.Equal(1, await db.Usage.CountAsync(u => u.PersonId == me.PersonId && u.Kind == UsageKinds.EApplication));
        }

        // The same form signed again (a new signingTime) is a new application.
        var resigned = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.BenefitAccount), SigningPassword, now.AddSeconds(2));
        using var newOne = await PostAsync(me.Token, new EApplicationSubmission(EApplicationTypes.BenefitAccount, Convert.ToBase64String(resigned)));
        Assert.Equal(201, (int)newOne.StatusCode);
    }

    [Fact]
    public async Task Submit_SameCmsInParallel_ExactlyOneAccepted()
    {
        var me = await PersonAsync("競合 申請");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.MovingOut), SigningPassword, server.Clock.GetUtcNow());
        var body = new EApplicationSubmission(EApplicationTypes.MovingOut, Convert.ToBase64String(cms));

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await PostAsync(me.Token, body);
            return (int)response.StatusCode;
        }));

        Assert.Equal(1, statuses.Count(s => s == 201));
        Assert.Equal(7, statuses.Count(s => s == 409));
        await using var db = server.OpenDb();
        Assert.Equal(1, await db.EApplications.CountAsync(a => a.PersonId == me.PersonId));
        Assert.Equal(1, await db.Usage.CountAsync(u => u.PersonId == me.PersonId && u.Kind == UsageKinds.EApplication));
    }

    [Fact]
    public async Task Submit_ForgedCertificateWithPhoneSigningPolicy_NotAcceptedNothingStored()
    {
        var me = await PersonAsync("偽造 五郎");

        // A self-made certificate claiming to be a phone signing certificate, with the real one's subject and serial.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(me.SigningCertificate.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509Extension(me.SigningCertificate.Extensions[DerCertificate.CertificatePoliciesOid]!, critical: false));
        var now = server.Clock.GetUtcNow();
        using var forged = request.Create(me.SigningCertificate.IssuerName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), now.AddDays(-1), now.AddYears(1), me.SigningCertificate.SerialNumberBytes.ToArray());
        using var withKey = forged.CopyWithPrivateKey(key);
        var cms = EApplicationCms.Build(Content(EApplicationTypes.Passport), withKey, key, now);

        await AssertRefusedAsync(me, EApplicationTypes.Passport, cms, 401, "signature-not-accepted");
    }

    [Fact]
    public async Task Submit_AnotherPersonsPhoneCertificateInMySession_ForbiddenNothingStoredForEither()
    {
        var me = await PersonAsync("本人 六郎");
        var other = await PersonAsync("他人 七子");
        var cms = other.App.SignWithPhoneSigningKey(Content(EApplicationTypes.BenefitAccount), SigningPassword, server.Clock.GetUtcNow());

        var body = await AssertRefusedAsync(me, EApplicationTypes.BenefitAccount, cms, 403, "signer-not-session-person");

        foreach (var leak in new[] { other.PersonId.ToString(), other.SigningSerial, "他人", me.PersonId.ToString(), me.SigningSerial })
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }

        await AssertNothingStoredAsync(other);

        // The same document in its signer's own session is accepted.
        using var ok = await PostAsync(other.Token, new EApplicationSubmission(EApplicationTypes.BenefitAccount, Convert.ToBase64String(cms)));
        Assert.Equal(201, (int)ok.StatusCode);
        await using var db = server.OpenDb();
        Assert.Equal(cms, (await db.EApplications.AsNoTracking().SingleAsync(a => a.PersonId == other.PersonId)).Cms);
        Assert.Equal(0, await db.EApplications.CountAsync(a => a.PersonId == me.PersonId));
    }

    [Fact]
    public async Task Submit_SuspendedCertificates_SessionEndedWithThemNothingStored()
    {
        var me = await PersonAsync("停止 八郎");
        await me.App.SuspendAsync(CancellationToken.None);
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.HealthInsurance), SigningPassword, server.Clock.GetUtcNow());

        // Suspension stops the auth certificate behind the session too: the session ends before the signature is judged.
        await AssertRefusedAsync(me, EApplicationTypes.HealthInsurance, cms, 401, "session-invalid");
    }

    [Fact]
    public async Task Submit_SignedThenCertificatesRevoked_SessionEndedWithThemNothingStored()
    {
        var me = await PersonAsync("失効 九郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.MovingInVisit), SigningPassword, server.Clock.GetUtcNow());
        await me.App.RevokeAsync(confirmed: true, CancellationToken.None);

        await AssertRefusedAsync(me, EApplicationTypes.MovingInVisit, cms, 401, "session-invalid");
    }

    [Fact]
    public async Task Submit_CardSigningCertificate_OnlyPhoneSigningAcceptedNothingStored()
    {
        var me = await PersonAsync("カード 十郎");
        var client = new JpkiClient(me.Card.Card.Applet);
        client.SelectAp();
        Assert.True(client.Verify(PinKind.Signing, me.Card.Password).Verified);
        using var certificate = client.ReadCertificate(JpkiFiles.SigningCertificate);
        using var key = new JpkiRsa(client, PinKind.Signing, certificate.GetRSAPublicKey()!.ExportParameters(false));
        var cms = EApplicationCms.Build(Content(EApplicationTypes.Passport), certificate, key, server.Clock.GetUtcNow());

        var body = await AssertRefusedAsync(me, EApplicationTypes.Passport, cms, 400, "not-phone-signing-certificate");

        Assert.Contains("phone signing certificate", body, StringComparison.Ordinal);
        Assert.Contains("スマホ用署名用電子証明書", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_SigningTimeAnHourOld_StaleNothingStored()
    {
        var me = await PersonAsync("古い 十一郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.Passport), SigningPassword, server.Clock.GetUtcNow().AddHours(-1));

        await AssertRefusedAsync(me, EApplicationTypes.Passport, cms, 400, "stale-e-application");
    }

    [Fact]
    public async Task Submit_UnknownType_RefusedNothingStored()
    {
        var me = await PersonAsync("種類 十二郎");
        var cms = me.App.SignWithPhoneSigningKey(Encoding.UTF8.GetBytes("{\"type\":\"marriage\",\"form\":{}}"), SigningPassword, server.Clock.GetUtcNow());

        await AssertRefusedAsync(me, "marriage", cms, 400, "unknown-e-application-type");
    }

    [Fact]
    public async Task Submit_SignedAsOneTypeSubmittedAsAnother_TypeMismatchNothingStored()
    {
        var me = await PersonAsync("種類 十三郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.Passport), SigningPassword, server.Clock.GetUtcNow());

        await AssertRefusedAsync(me, EApplicationTypes.MovingOut, cms, 400, "e-application-type-mismatch");
    }

    [Theory]
    [InlineData(EApplicationTypes.BenefitAccount, "bankCode", "\"12A4\"", "bankCode")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountNumber", "\"123456\"", "accountNumber")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountHolderKana", "\"digital taro\"", "accountHolderKana")]
    [InlineData(EApplicationTypes.MovingOut, "movingDate", "\"2001-01-01\"", "movingDate")]
    [InlineData(EApplicationTypes.MovingOut, "movingDate", "\"tomorrow\"", "movingDate")]
    [InlineData(EApplicationTypes.MovingOut, "destinationAddress", null, "destinationAddress")]
    [InlineData(EApplicationTypes.MovingOut, "householdMembers", "99", "householdMembers")]
    [InlineData(EApplicationTypes.MovingInVisit, "visitTime", "\"23:00\"", "visitTime")]
    [InlineData(EApplicationTypes.Passport, "validityYears", "7", "validityYears")]
    [InlineData(EApplicationTypes.Passport, "applicationKind", "\"renewal\"", "currentPassportNumber")]
    [InlineData(EApplicationTypes.HealthInsurance, "consent", "false", "consent")]
    [InlineData(EApplicationTypes.HealthInsurance, "favouriteColour", "\"blue\"", "favouriteColour")]
    public async Task Submit_InvalidFormField_BadFormNamingTheFieldNotTheValue(string type, string field, string? json, string named)
    {
        var me = await FormTesterAsync();
        var form = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Form(type).GetRawText())!;
        if (json is null)
        {
            form.Remove(field);
        }
        else
        {
            form[field] = JsonDocument.Parse(json).RootElement.Clone();
        }

        var content = new EApplicationContent(type, JsonSerializer.SerializeToElement(form)).ToJsonBytes();
        var cms = me.App.SignWithPhoneSigningKey(content, SigningPassword, server.Clock.GetUtcNow());

        var body = await AssertRefusedAsync(me, type, cms, 400, "bad-form");

        Assert.Contains($"'{named}'", body, StringComparison.Ordinal);
        if (named == field && json is { Length: > 4 } && json.StartsWith('"'))
        {
            Assert.DoesNotContain(json.Trim('"'), body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Submit_NotCms_MalformedNothingStored()
    {
        var me = await PersonAsync("形式 十五郎");

        await AssertRefusedAsync(me, EApplicationTypes.Passport, Encoding.UTF8.GetBytes("this is not CMS"), 400, "malformed-e-application");
    }

    [Fact]
    public async Task Submit_NoEndedExpiredOrKioskSession_SessionInvalidNothingStored()
    {
        var me = await PersonAsync("無効 十七郎");
        var cms = me.App.SignWithPhoneSigningKey(Content(EApplicationTypes.Passport), SigningPassword, server.Clock.GetUtcNow());
        var body = new EApplicationSubmission(EApplicationTypes.Passport, Convert.ToBase64String(cms));
        var sessions = server.Services.GetRequiredService<SessionService>();

        var (ended, endedSession) = await sessions.OpenAsync(me.Who, SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        await sessions.EndAsync(endedSession, CancellationToken.None);
        var (expired, _) = await sessions.OpenAsync(me.Who, SessionAudiences.Portal, null, TimeSpan.FromMilliseconds(1), CancellationToken.None);
        await Task.Delay(20);
        var (kiosk, _) = await sessions.OpenAsync(me.Who, SessionAudiences.Kiosk, "kiosk-1", TimeSpan.FromMinutes(30), CancellationToken.None);

        foreach (var token in new[] { null, "not-a-token", ended, expired, kiosk })
        {
            using var response = await PostAsync(token, body);
            await Problem.AssertAsync(response, 401, "session-invalid");
            using var history = await GetAsync(token, Path);
            await Problem.AssertAsync(history, 401, "session-invalid");
        }

        await AssertNothingStoredAsync(me);
    }

    [Fact]
    public async Task History_OnlyOwnAndAnotherPersonsCmsIsNotFound()
    {
        var me = await PersonAsync("履歴 十八郎");
        var other = await PersonAsync("履歴 十九子");
        var mine = await me.App.SubmitEApplicationAsync(me.Token, EApplicationTypes.HealthInsurance, Form(EApplicationTypes.HealthInsurance), SigningPassword, CancellationToken.None);

        Assert.Empty(await server.Api.GetEApplicationsAsync(other.Token, 50, CancellationToken.None));
        using var theirs = await GetAsync(other.Token, $"{Path}/{mine.Application.Id}/cms");
        await Problem.AssertAsync(theirs, 404, "unknown-e-application");
        Assert.Single(await server.Api.GetEApplicationsAsync(me.Token, 50, CancellationToken.None));
    }

    [Fact]
    public async Task Information_EachView_SameForSamePersonDifferentForAnotherOnlyWithSession()
    {
        var me = await PersonAsync("情報 二十郎");
        var other = await PersonAsync("情報 二十一子");
        foreach (var view in InformationViews.All)
        {
            var first = await server.Api.GetInformationAsync(me.Token, view, CancellationToken.None);
            var again = await server.Api.GetInformationAsync(me.Token, view, CancellationToken.None);
            var theirs = await server.Api.GetInformationAsync(other.Token, view, CancellationToken.None);

            Assert.Equal(view, first.View);
            Assert.True(first.Sample);
            Assert.NotEmpty(first.Rows);
            Assert.Equal(JsonSerializer.Serialize(first), JsonSerializer.Serialize(again));
            Assert.NotEqual(JsonSerializer.Serialize(first.Rows), JsonSerializer.Serialize(theirs.Rows));

            using var anonymous = await GetAsync(null, $"/api/v1/portal/information/{view}");
            await Problem.AssertAsync(anonymous, 401, "session-invalid");
        }

        // 医療費 adds up the 診療 points (1 point = 10 yen).
        var visits = await server.Api.GetInformationAsync(me.Token, InformationViews.Medical, CancellationToken.None);
        var costs = await server.Api.GetInformationAsync(me.Token, InformationViews.Costs, CancellationToken.None);
        Assert.Equal(visits.Rows.Sum(r => int.Parse(r["points"], CultureInfo.InvariantCulture)) * 10, costs.Rows.Sum(r => int.Parse(r["totalYen"], CultureInfo.InvariantCulture)));

        using var unknown = await GetAsync(me.Token, "/api/v1/portal/information/genome");
        await Problem.AssertAsync(unknown, 404, "unknown-information-view");
    }

    /// <summary>A form of <paramref name="type"/> that validates today (JST, on the server's clock).</summary>
    internal static JsonElement Form(string type, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(9)).DateTime);
        string D(int days) => today.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        object form = type switch
        {
            EApplicationTypes.MovingOut => new { movingDate = D(7), destinationPostalCode = "530-0005", destinationAddress = "大阪府大阪市北区中之島1-3-20", householdMembers = 2, contactPhone = "03-1234-5678" },
            EApplicationTypes.MovingInVisit => new { municipalityCode = "271004", movedInDate = D(7), visitDate = D(10), visitTime = "10:30", householdMembers = 2 },
            EApplicationTypes.Passport => new { applicationKind = "new", validityYears = 10, nameRomaji = "DIGITAL TARO", pickupOffice = "大阪府パスポートセンター" },
            EApplicationTypes.BenefitAccount => new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = "1234567", accountHolderKana = "デジタル タロウ" },
            _ => (object)new { insurerNumber = "06123456", symbol = "ABC-1", number = "12345", branchNumber = "01", consent = true },
        };
        return JsonSerializer.SerializeToElement(form);
    }

    private static byte[] Alter(byte[] der, string from, string to)
    {
        var needle = Encoding.UTF8.GetBytes(from);
        var at = der.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, "the content is not in the CMS");
        var copy = der.ToArray();
        Encoding.UTF8.GetBytes(to).CopyTo(copy, at);
        return copy;
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        Assert.True(File.Exists("/usr/bin/openssl"), "openssl is required for this test");
        var start = new ProcessStartInfo("/usr/bin/openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "openssl did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private JsonElement Form(string type) => Form(type, server.Clock.GetUtcNow());

    private byte[] Content(string type) => new EApplicationContent(type, Form(type)).ToJsonBytes();

    /// <summary>Posts the CMS in my session; asserts the problem and that nothing was stored or recorded. Returns the body.</summary>
    private async Task<string> AssertRefusedAsync(Person me, string type, byte[] cms, int status, string code)
    {
        using var response = await PostAsync(me.Token, new EApplicationSubmission(type, Convert.ToBase64String(cms)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Problem.AssertBody(body, code);
        Assert.DoesNotContain(me.PersonId.ToString(), body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(me.Name, body, StringComparison.Ordinal);
        await AssertNothingStoredAsync(me);
        return body;
    }

    private async Task AssertNothingStoredAsync(Person person)
    {
        await using var db = server.OpenDb();
        Assert.Equal(0, await db.EApplications.CountAsync(a => a.PersonId == person.PersonId));
        Assert.Equal(0, await db.Usage.CountAsync(u => u.PersonId == person.PersonId && u.Kind == UsageKinds.EApplication));
    }

    private async Task<HttpResponseMessage> PostAsync(string? token, EApplicationSubmission body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(body, options: ProtocolJson.Options) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> GetAsync(string? token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Client.SendAsync(request);
    }

    /// <summary>One person per server for the form cases, none of whose submissions is ever accepted.</summary>
    private Task<Person> FormTesterAsync()
    {
        lock (FormTesters)
        {
            return FormTesters.GetValue(server, _ => PersonAsync("入力 十四郎"));
        }
    }

    /// <summary>A person with a registered phone and a portal session opened for the phone's auth certificate.</summary>
    private async Task<Person> PersonAsync(string name)
    {
        var card = await server.IssueCardAsync(name);
        var phone = server.NewPhone();
        var app = server.NewApp(phone);
        var certificates = await server.ApplyAndRegisterAsync(app, card);
        var auth = certificates.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneAuth);
        var signing = certificates.Single(c => CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning);
        var personId = Guid.Parse(card.Issued.PersonId);
        var who = new AuthenticatedCertificate(personId, auth.SerialNumber.ToLowerInvariant(), CertificateKind.PhoneAuth, auth.RawData, auth.NotAfter);
        var (token, _) = await server.Services.GetRequiredService<SessionService>().OpenAsync(who, SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        return new Person(name, personId, card, phone, app, token, who, signing, signing.SerialNumber.ToLowerInvariant());
    }

    private sealed record Person(string Name, Guid PersonId, TestCard Card, VirtualPhone Phone, PortalApp App, string Token, AuthenticatedCertificate Who, X509Certificate2 SigningCertificate, string SigningSerial);
}

/// <summary>On SQLite.</summary>
public sealed class SqliteEApplicationTests(MjpkiServer server) : EApplicationTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresEApplicationTests(PostgresMjpkiServer server) : EApplicationTests(server), IClassFixture<PostgresMjpkiServer>;
