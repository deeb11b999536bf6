using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Server.Tests;

/// <summary>
/// The real OpenSSL as a relying party against the server on real Kestrel: OCSP by POST (and our GET), CRL
/// signature, and certificate verification with the CRL (docs/revocation.md).
/// </summary>
public sealed class RevocationInteropTests(KestrelMjpkiServer server) : IClassFixture<KestrelMjpkiServer>, IDisposable
{
    private const string OpenSsl = "/usr/bin/openssl";

    private readonly string _dir = Directory.CreateTempSubdirectory("mjpki-revocation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OcspUrl => new Uri(server.Client.BaseAddress!, "/ocsp/auth").ToString();

    [Fact]
    public async Task OpenSslOcsp_IssuedCard_GoodAndResponseVerifyOk()
    {
        var (ca, card, _) = await IssueCardAsync();

        var (code, output) = Run("ocsp", "-issuer", ca, "-cert", card, "-url", OcspUrl, "-CAfile", ca);

        Assert.True(code == 0, output);
        Assert.Contains($"{card}: good", output, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslOcsp_SerialNeverIssued_Unknown()
    {
        var (ca, _, _) = await IssueCardAsync();

        var (code, output) = Run("ocsp", "-issuer", ca, "-serial", "0x7a1b2c3d4e5f60718293a4b5c6d7e8f9", "-url", OcspUrl, "-CAfile", ca);

        Assert.True(code == 0, output);
        Assert.Contains(": unknown", output, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslOcsp_RevokedInDatabase_RevokedWithReason()
    {
        var (ca, card, serial) = await IssueCardAsync();
        Assert.Contains(": good", Run("ocsp", "-issuer", ca, "-cert", card, "-url", OcspUrl, "-CAfile", ca).Output, StringComparison.Ordinal);

        await RevokeAsync(serial, "device-changed");
        var (code, output) = Run("ocsp", "-issuer", ca, "-cert", card, "-url", OcspUrl, "-CAfile", ca);

        Assert.True(code == 0, output);
        Assert.Contains($"{card}: revoked", output, StringComparison.Ordinal);
        Assert.Contains("Reason: superseded", output, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslCrl_SignatureOkAndVerifyCrlCheckTellsGoodFromRevoked()
    {
        var (ca, good, _) = await IssueCardAsync();
        var (_, revoked, revokedSerial) = await IssueCardAsync();
        await RevokeAsync(revokedSerial, "superseded");

        using var response = await server.Client.GetAsync("/crl/auth.crl");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pkix-crl", response.Content.Headers.ContentType?.MediaType);
        var der = Path.Combine(_dir, "auth.crl");
        await File.WriteAllBytesAsync(der, await response.Content.ReadAsByteArrayAsync());
        var pem = Path.Combine(_dir, "auth-crl.pem");

        var signature = Run("crl", "-inform", "DER", "-in", der, "-CAfile", ca, "-noout");
        Assert.Contains("verify OK", signature.Output, StringComparison.Ordinal);
        Assert.Equal(0, Run("crl", "-inform", "DER", "-in", der, "-out", pem).Code);
        var text = Run("crl", "-in", pem, "-noout", "-text").Output;
        Assert.Contains("X509v3 CRL Number", text, StringComparison.Ordinal);
        Assert.Contains("Superseded", text, StringComparison.Ordinal);

        var goodCheck = Run("verify", "-crl_check", "-CRLfile", pem, "-CAfile", ca, good);
        Assert.True(goodCheck.Code == 0, goodCheck.Output);
        Assert.Contains($"{good}: OK", goodCheck.Output, StringComparison.Ordinal);

        var revokedCheck = Run("verify", "-crl_check", "-CRLfile", pem, "-CAfile", ca, revoked);
        Assert.NotEqual(0, revokedCheck.Code);
        Assert.Contains("certificate revoked", revokedCheck.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OcspGet_OpenSslRequest_GoodCacheableUntilNextUpdate()
    {
        var (ca, card, _) = await IssueCardAsync();
        var requestFile = Path.Combine(_dir, "req.der");
        Assert.Equal(0, Run("ocsp", "-issuer", ca, "-cert", card, "-no_nonce", "-reqout", requestFile).Code);
        var encoded = Uri.EscapeDataString(Convert.ToBase64String(await File.ReadAllBytesAsync(requestFile)));

        using var response = await server.Client.GetAsync($"/ocsp/auth/{encoded}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/ocsp-response", response.Content.Headers.ContentType?.MediaType);
        Assert.InRange(response.Headers.CacheControl?.MaxAge ?? TimeSpan.Zero, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
        Assert.True(response.Headers.CacheControl!.Public);
        var responseFile = Path.Combine(_dir, "resp.der");
        await File.WriteAllBytesAsync(responseFile, await response.Content.ReadAsByteArrayAsync());
        var (code, output) = Run("ocsp", "-respin", responseFile, "-issuer", ca, "-cert", card, "-CAfile", ca);
        Assert.True(code == 0, output);
        Assert.Contains($"{card}: good", output, StringComparison.Ordinal);
        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OcspPost_Garbage_MalformedRequestAndBodyOver4KiB_413()
    {
        using var garbage = new ByteArrayContent([1, 2, 3]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        using var malformed = await server.Client.PostAsync("/ocsp/auth", garbage);
        Assert.Equal(HttpStatusCode.OK, malformed.StatusCode);
        Assert.Equal(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x01 }, await malformed.Content.ReadAsByteArrayAsync());

        using var big = new ByteArrayContent(new byte[5000]);
        big.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        using var tooLarge = await server.Client.PostAsync("/ocsp/auth", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        using var unknown = await server.Client.GetAsync("/crl/other.crl");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
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

    /// <summary>What the RA does on revocation, by hand (the row, the stale mark), then waits for the refresher to sign the new answer.</summary>
    private async Task RevokeAsync(string serial, string reason)
    {
        await Revocation.RevocationSupport.SetStatusAsync(server, serial, CertificateStatus.Revoked, reason);
        await Revocation.RevocationSupport.WaitForOcspAsync(server, serial, OcspCertStatus.Revoked);
        server.Services.GetRequiredService<CrlPublisher>().Invalidate(Hierarchy.Auth);
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        Assert.True(File.Exists(OpenSsl), "openssl is required for this test");
        var start = new ProcessStartInfo(OpenSsl) { RedirectStandardOutput = true, RedirectStandardError = true };
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
}
