using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>Independent verification by the real OpenSSL command line.</summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private const string OpenSsl = "/usr/bin/openssl";

    // OpenSSL checks validity against the real clock, so this CA runs on it too.
    private readonly PkiTestContext _pki = new(TimeProvider.System);

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData(CertificateKind.CardSigning, "sign", "Non Repudiation")]
    [InlineData(CertificateKind.CardAuth, "auth", "TLS Web Client Authentication")]
    [InlineData(CertificateKind.PhoneSigning, "sign", "Non Repudiation")]
    [InlineData(CertificateKind.PhoneAuth, "auth", "TLS Web Client Authentication")]
    public void OpenSsl_VerifiesEachKindAgainstItsRoot(CertificateKind kind, string wire, string usage)
    {
        Assert.True(File.Exists(OpenSsl), "openssl is required for this test");
        var root = Path.Combine(_pki.Directory, "root.pem");
        var leaf = Path.Combine(_pki.Directory, "leaf.pem");
        File.WriteAllText(root, _pki.Ca.CertificateFor(kind.HierarchyOf()).ExportCertificatePem());
        var cap = kind.IsPhone() ? _pki.Time.GetUtcNow().AddYears(2) : (DateTimeOffset?)null;
        using (var cert = _pki.Issue(PkiTestContext.RequestFor(kind, cap)))
        {
            File.WriteAllText(leaf, cert.ExportCertificatePem());
        }

        var (verifyCode, verifyOut) = Run("verify", "-x509_strict", "-CAfile", root, leaf);
        Assert.True(verifyCode == 0, verifyOut);
        Assert.Equal($"{leaf}: OK", verifyOut.Trim());

        var (textCode, text) = Run("x509", "-noout", "-text", "-in", leaf);
        Assert.Equal(0, textCode);
        Assert.Contains($"Policy: {Oids.PolicyFor(kind)}", text, StringComparison.Ordinal);
        Assert.Contains(usage, text, StringComparison.Ordinal);
        Assert.Contains($"CA Issuers - URI:http://ca.example.test:5080/ca/{wire}.cer", text, StringComparison.Ordinal);
        Assert.Contains($"OCSP - URI:http://ca.example.test:5080/ocsp/{wire}", text, StringComparison.Ordinal);
        Assert.Contains($"URI:http://ca.example.test:5080/crl/{wire}.crl", text, StringComparison.Ordinal);
        Assert.Contains("CA:FALSE", text, StringComparison.Ordinal);
        Assert.Equal(kind.HierarchyOf() == Hierarchy.Signing, text.Contains("X509v3 Subject Alternative Name", StringComparison.Ordinal));
    }

    [Fact]
    public void OpenSsl_AcceptsAuthCertificateForClientAuthPurpose()
    {
        var root = Path.Combine(_pki.Directory, "root.pem");
        var leaf = Path.Combine(_pki.Directory, "leaf.pem");
        File.WriteAllText(root, _pki.Ca.CertificateFor(Hierarchy.Auth).ExportCertificatePem());
        using (var cert = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.CardAuth)))
        {
            File.WriteAllText(leaf, cert.ExportCertificatePem());
        }

        var (code, output) = Run("verify", "-purpose", "sslclient", "-CAfile", root, leaf);

        Assert.True(code == 0, output);
    }

    [Fact]
    public void OpenSsl_RejectsLeafAgainstTheOtherRoot()
    {
        var root = Path.Combine(_pki.Directory, "root.pem");
        var leaf = Path.Combine(_pki.Directory, "leaf.pem");
        File.WriteAllText(root, _pki.Ca.CertificateFor(Hierarchy.Auth).ExportCertificatePem());
        using (var cert = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.CardSigning)))
        {
            File.WriteAllText(leaf, cert.ExportCertificatePem());
        }

        var (code, _) = Run("verify", "-CAfile", root, leaf);

        Assert.NotEqual(0, code);
    }

    private static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(OpenSsl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }
}
