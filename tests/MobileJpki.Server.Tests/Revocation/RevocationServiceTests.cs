using System.Net;
using System.Net.Http.Headers;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;
using static MobileJpki.Server.Tests.Revocation.RevocationSupport;

namespace MobileJpki.Server.Tests.Revocation;

/// <summary>
/// The revocation service end to end on a running server (docs/revocation.md): shared pre-signed OCSP responses
/// signed by the delegated responder, certificateHold and its lifting, cRLNumbers from the database, partitioned
/// CRLs, and bad OCSP input, with the real openssl as relying party. Runs on SQLite and PostgreSQL.
/// </summary>
public abstract class RevocationServiceTests(RevocationServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mjpki-revocation-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private string OcspUrl => new Uri(server.Client.BaseAddress!, "/ocsp/auth").ToString();

    [Fact]
    public async Task Hold_OcspAndCrl_CertificateHoldThenLiftedThenMadeFinal()
    {
        var (ca, card, serial) = await IssueCardAsync();
        await WaitForOcspAsync(server, serial, OcspCertStatus.Good);
        Assert.Contains($"{card}: good", Ocsp(ca, card), StringComparison.Ordinal);

        await SetStatusAsync(server, serial, CertificateStatus.Suspended, RevocationReasons.Hold);
        await WaitForOcspAsync(server, serial, OcspCertStatus.OnHold);
        var held = Ocsp(ca, card);
        var heldCrl = await CrlAsync("/crl/auth.crl");

        await SetStatusAsync(server, serial, CertificateStatus.Issued, null);
        await WaitForOcspAsync(server, serial, OcspCertStatus.Good);
        var lifted = Ocsp(ca, card);
        var liftedCrl = await CrlAsync("/crl/auth.crl");

        await SetStatusAsync(server, serial, CertificateStatus.Suspended, RevocationReasons.Hold);
        await SetStatusAsync(server, serial, CertificateStatus.Revoked, RevocationReasons.KeyCompromise);
        await WaitForOcspAsync(server, serial, OcspCertStatus.Revoked);
        var final = Ocsp(ca, card);
        var finalCrl = await CrlAsync("/crl/auth.crl");

        var number = BigInteger.Parse("0" + serial, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"{card}: revoked", held, StringComparison.Ordinal);
        Assert.Contains("Reason: certificateHold", held, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", held, StringComparison.Ordinal);
        Assert.Equal(6, ParseCrl(heldCrl).Entries[number]);
        Assert.Contains($"{card}: good", lifted, StringComparison.Ordinal);
        Assert.DoesNotContain(number, ParseCrl(liftedCrl).Entries.Keys);
        Assert.Contains("Reason: keyCompromise", final, StringComparison.Ordinal);
        Assert.Equal(1, ParseCrl(finalCrl).Entries[number]);
        Assert.True(ParseCrl(finalCrl).Number > ParseCrl(liftedCrl).Number && ParseCrl(liftedCrl).Number > ParseCrl(heldCrl).Number);
    }

    [Fact]
    public async Task OcspGet_PreSignedRow_SameBytesFromMemoryWithRfc5019HeadersAnd304()
    {
        var (ca, card, serial) = await IssueCardAsync();
        var row = await WaitForOcspAsync(server, serial, OcspCertStatus.Good);
        var requestFile = Path.Combine(_dir, "req.der");
        Assert.Equal(0, Run("ocsp", "-issuer", ca, "-cert", card, "-no_nonce", "-reqout", requestFile).Code);
        var path = $"/ocsp/auth/{Uri.EscapeDataString(Convert.ToBase64String(await File.ReadAllBytesAsync(requestFile)))}";

        using var response = await server.Client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
        conditional.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await server.Client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(row.Der, body);
        Assert.Equal("application/ocsp-response", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl!.Public && response.Headers.CacheControl.NoTransform && response.Headers.CacheControl.MustRevalidate);
        Assert.InRange(response.Headers.CacheControl.MaxAge!.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
        Assert.Equal(row.ThisUpdate, response.Content.Headers.LastModified);
        Assert.Equal(row.NextUpdate, response.Content.Headers.Expires);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        var responseFile = Path.Combine(_dir, "resp.der");
        await File.WriteAllBytesAsync(responseFile, body);
        var (code, output) = Run("ocsp", "-respin", responseFile, "-issuer", ca, "-cert", card, "-CAfile", ca, "-resp_text");
        Assert.True(code == 0, output);
        Assert.Contains($"{card}: good", output, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
        Assert.Contains("OCSP Signing", output, StringComparison.Ordinal);
        Assert.Contains("OCSP No Check", output, StringComparison.Ordinal);
        Assert.Contains("MobileJpki OCSP Responder (auth)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslOcsp_GoodRevokedUnknownWithNonce_VerifiedAgainstRootOnly()
    {
        var (ca, good, _) = await IssueCardAsync();
        var (_, revoked, revokedSerial) = await IssueCardAsync();
        await WaitForOcspAsync(server, revokedSerial, OcspCertStatus.Good);
        await SetStatusAsync(server, revokedSerial, CertificateStatus.Revoked, RevocationReasons.CessationOfOperation);
        await WaitForOcspAsync(server, revokedSerial, OcspCertStatus.Revoked);

        var goodOut = Ocsp(ca, good, nonce: true);
        var revokedOut = Ocsp(ca, revoked);
        var unknown = Run("ocsp", "-issuer", ca, "-serial", "0x7a1b2c3d4e5f60718293a4b5c6d7e8f9", "-url", OcspUrl, "-CAfile", ca).Output;

        Assert.Contains($"{good}: good", goodOut, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", goodOut, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING: no nonce", goodOut, StringComparison.Ordinal);
        Assert.Contains($"{revoked}: revoked", revokedOut, StringComparison.Ordinal);
        Assert.Contains("Reason: cessationOfOperation", revokedOut, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", revokedOut, StringComparison.Ordinal);
        Assert.Contains(": unknown", unknown, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", unknown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslOcsp_OtherHierarchysCaAsIssuer_Unauthorized()
    {
        var (_, card, _) = await IssueCardAsync();
        var signCa = Path.Combine(_dir, "sign-ca.pem");
        using (var sign = await server.CaCertificateAsync("sign.cer"))
        {
            await File.WriteAllTextAsync(signCa, sign.ExportCertificatePem());
        }

        var output = Run("ocsp", "-issuer", signCa, "-cert", card, "-url", OcspUrl, "-CAfile", signCa).Output;

        Assert.Contains("unauthorized", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("oversized")]
    public async Task Ocsp_BadInput_MalformedRequestNever500(string kind)
    {
        var (ca, card, _) = await IssueCardAsync();
        var requestFile = Path.Combine(_dir, "req.der");
        Assert.Equal(0, Run("ocsp", "-issuer", ca, "-cert", card, "-no_nonce", "-reqout", requestFile).Code);
        var valid = await File.ReadAllBytesAsync(requestFile);
        var body = kind switch
        {
            "garbage" => RandomNumberGenerator.GetBytes(100),
            "truncated" => valid[..^3],
            _ => [0x30, 0x82, 0x0F, 0xA0, .. new byte[4000]],
        };

        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        using var post = await server.Client.PostAsync("/ocsp/auth", content);
        using var get = await server.Client.GetAsync($"/ocsp/auth/{Uri.EscapeDataString(Convert.ToBase64String(body))}");

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x01 }, await post.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x01 }, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task CrlNumber_AnotherNodeWithItsClockSetBack_StillGrowsAndIsStored()
    {
        var publisher = server.Services.GetRequiredService<CrlPublisher>();
        publisher.Invalidate(Hierarchy.Signing);
        var first = ParseCrl(await CrlAsync("/crl/sign.crl"));

        // A second node (or this one restarted: the sandbox clock starts again from the real time) whose clock is
        // three days behind, on the same database.
        var behind = new FakeTimeProvider(server.Clock.GetUtcNow().AddDays(-3));
        var otherNode = new CrlPublisher(
            server.Services.GetRequiredService<IReadOnlyList<MobileJpki.Revocation.RevocationIssuer>>(),
            server.Services.GetRequiredService<MobileJpki.Revocation.IRevocationStatusReader>(),
            server.Services.GetRequiredService<ICrlNumberStore>(),
            behind,
            server.Services.GetRequiredService<MobileJpki.Revocation.RevocationOptions>());
        var second = await otherNode.GetAsync(Hierarchy.Signing, CancellationToken.None);
        publisher.Invalidate(Hierarchy.Signing);
        var third = ParseCrl(await CrlAsync("/crl/sign.crl"));

        Assert.True(second.Number > first.Number, $"{second.Number} after {first.Number}");
        Assert.True(third.Number > second.Number, $"{third.Number} after {second.Number}");
        Assert.Equal(behind.GetUtcNow().AddTicks(-(behind.GetUtcNow().UtcTicks % TimeSpan.TicksPerSecond)), second.ThisUpdate);
        await using var db = server.OpenDb();
        Assert.Equal((long)third.Number, (await db.CrlStates.SingleAsync(s => s.Hierarchy == (int)Hierarchy.Signing && s.Shard == -1)).LastNumber);
    }

    [Fact]
    public async Task Partitions_ManyRevoked_UnionOfPartitionsIsEveryRevokedAndEachHoldsOnlyItsOwn()
    {
        // Many rows straight into the table, spread over the partitions (and some before partitioning: no shard).
        var now = server.Clock.GetUtcNow();
        var expected = new Dictionary<int, HashSet<BigInteger>>();
        var all = new HashSet<BigInteger>();
        await using (var db = server.OpenDb())
        {
            for (var i = 0; i < 3000; i++)
            {
                var serialBytes = RandomNumberGenerator.GetBytes(16);
                serialBytes[0] = (byte)((serialBytes[0] & 0x3F) | 0x10);
                var serial = Convert.ToHexStringLower(serialBytes);
                int? shard = i % 10 == 9 ? null : RandomNumberGenerator.GetInt32(RevocationServer.Partitions);
                var status = i % 7 == 0 ? CertificateStatus.Suspended : i % 11 == 0 ? CertificateStatus.Active : CertificateStatus.Revoked;
                db.Certificates.Add(new CertificateEntity
                {
                    Serial = serial,
                    Kind = (int)CertificateKind.PhoneAuth,
                    PersonId = Guid.NewGuid(),
                    Status = (int)status,
                    NotBefore = now.AddDays(-1),
                    NotAfter = now.AddYears(1),
                    Tbs = [0x30, 0x00],
                    CreatedAt = now,
                    RevokedAt = status == CertificateStatus.Active ? null : now.AddMinutes(-i),
                    RevocationReason = status == CertificateStatus.Suspended ? RevocationReasons.Hold : status == CertificateStatus.Revoked ? RevocationReasons.DeviceChanged : null,
                    CrlShard = shard,
                });
                if (status != CertificateStatus.Active)
                {
                    var value = new BigInteger(serialBytes, isUnsigned: true, isBigEndian: true);
                    all.Add(value);
                    if (shard is { } s)
                    {
                        (expected.TryGetValue(s, out var set) ? set : expected[s] = []).Add(value);
                    }
                }
            }

            await db.SaveChangesAsync();
        }

        server.Services.GetRequiredService<CrlPublisher>().Invalidate(Hierarchy.Auth);
        var union = new HashSet<BigInteger>();
        for (var n = 0; n < RevocationServer.Partitions; n++)
        {
            var crl = ParseCrl(await CrlAsync($"/crl/auth/{n}.crl"));
            Assert.EndsWith($"/crl/auth/{n}.crl", crl.PartitionUrl, StringComparison.Ordinal);
            Assert.True(crl.IdpCritical);
            // Exactly its own: certificates revoked by earlier tests of this class may add a few of theirs.
            var missing = expected[n].Where(k => !crl.Entries.ContainsKey(k)).ToList();
            Assert.True(missing.Count == 0, $"partition {n}: {missing.Count} of {expected[n].Count} missing; it lists {crl.Entries.Count}, number {crl.Number}");
            Assert.All(crl.Entries.Keys.Where(k => !expected[n].Contains(k)), k => Assert.DoesNotContain(k, all));
            Assert.True(crl.Entries.Keys.All(k => !union.Contains(k)), "a certificate in two partitions");
            union.UnionWith(crl.Entries.Keys);
        }

        var complete = ParseCrl(await CrlAsync("/crl/auth.crl"));
        var sharded = all.Where(s => expected.Values.Any(v => v.Contains(s))).ToHashSet();
        Assert.True(sharded.All(union.Contains), "a revoked certificate missing from every partition");
        var notListed = all.Where(k => !complete.Entries.ContainsKey(k)).ToList();
        Assert.True(notListed.Count == 0, $"complete CRL: {notListed.Count} of {all.Count} missing; it lists {complete.Entries.Count}, number {complete.Number}");
        Assert.Null(complete.PartitionUrl);
    }

    [Fact]
    public async Task Partitions_IssuedCertificate_NamesItsPartitionAndOpenSslChecksItsPartitionCrl()
    {
        var (ca, good, goodSerial) = await IssueCardAsync();
        var (_, revoked, revokedSerial) = await IssueCardAsync();
        await SetStatusAsync(server, revokedSerial, CertificateStatus.Revoked, RevocationReasons.AffiliationChanged);
        int? goodShard, revokedShard;
        await using (var db = server.OpenDb())
        {
            goodShard = (await db.Certificates.SingleAsync(c => c.Serial == goodSerial)).CrlShard;
            revokedShard = (await db.Certificates.SingleAsync(c => c.Serial == revokedSerial)).CrlShard;
        }

        using var revokedCert = X509CertificateLoader.LoadCertificateFromFile(revoked);
        var cdp = revokedCert.Extensions.OfType<X509Extension>().Single(e => e.Oid?.Value == "2.5.29.31");
        Assert.NotNull(revokedShard);
        Assert.InRange(revokedShard.Value, 0, RevocationServer.Partitions - 1);
        Assert.Contains($"/crl/auth/{revokedShard}.crl", new AsnEncodedData(cdp.Oid, cdp.RawData).Format(false), StringComparison.Ordinal);

        server.Services.GetRequiredService<CrlPublisher>().Invalidate(Hierarchy.Auth);
        var revokedCrl = await SaveCrlAsync($"/crl/auth/{revokedShard}.crl");
        var goodCrl = await SaveCrlAsync($"/crl/auth/{goodShard}.crl");

        var signature = Run("crl", "-in", revokedCrl, "-CAfile", ca, "-noout", "-text");
        Assert.Contains("verify OK", signature.Output, StringComparison.Ordinal);
        Assert.Contains("Issuing Distribution Point: critical", signature.Output, StringComparison.Ordinal);
        Assert.Contains("Affiliation Changed", signature.Output, StringComparison.Ordinal);
        var revokedCheck = Run("verify", "-crl_check", "-CRLfile", revokedCrl, "-CAfile", ca, revoked);
        Assert.NotEqual(0, revokedCheck.Code);
        Assert.Contains("certificate revoked", revokedCheck.Output, StringComparison.Ordinal);
        var goodCheck = Run("verify", "-crl_check", "-CRLfile", goodCrl, "-CAfile", ca, good);
        Assert.True(goodCheck.Code == 0, goodCheck.Output);
        Assert.Contains($"{good}: OK", goodCheck.Output, StringComparison.Ordinal);
    }

    private string Ocsp(string ca, string cert, bool nonce = false)
    {
        string[] args = ["ocsp", "-issuer", ca, "-cert", cert, "-url", OcspUrl, "-CAfile", ca];
        var (code, output) = Run(nonce ? args : [.. args, "-no_nonce"]);
        Assert.True(code == 0, output);
        return output;
    }

    private async Task<byte[]> CrlAsync(string path)
    {
        using var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pkix-crl", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The CRL as a PEM file (what -CRLfile takes).</summary>
    private async Task<string> SaveCrlAsync(string path)
    {
        var der = await CrlAsync(path);
        var file = Path.Combine(_dir, $"{Guid.NewGuid():N}.crl.pem");
        await File.WriteAllTextAsync(file, PemEncoding.WriteString("X509 CRL", der));
        return file;
    }

    /// <summary>A new card; its auth certificate and the auth CA as PEM files; the certificate's serial as stored.</summary>
    private async Task<(string Ca, string Card, string Serial)> IssueCardAsync()
    {
        var card = await server.IssueCardAsync();
        var ca = Path.Combine(_dir, "ca.pem");
        using (var caCert = await server.CaCertificateAsync("auth.cer"))
        {
            await File.WriteAllTextAsync(ca, caCert.ExportCertificatePem());
        }

        using var cert = card.AuthCertificate;
        var path = Path.Combine(_dir, $"card-{cert.SerialNumber.ToLowerInvariant()}.pem");
        await File.WriteAllTextAsync(path, cert.ExportCertificatePem());
        return (ca, path, cert.SerialNumber.ToLowerInvariant());
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqliteRevocationServiceTests(RevocationServer server) : RevocationServiceTests(server), IClassFixture<RevocationServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresRevocationServiceTests(PostgresRevocationServer server) : RevocationServiceTests(server), IClassFixture<PostgresRevocationServer>;
