using System.Security.Cryptography;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Fuzz;

/// <summary><see cref="OcspRequestParser.TryParse"/>: null (malformedRequest) or a request within the parser's bounds.</summary>
internal static class OcspHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var request = OcspRequestParser.TryParse(input.ToArray());
        if (request is null)
        {
            return;
        }

        Expect.That(input.Length <= OcspRequestParser.MaxRequestBytes, "a request over the size limit was parsed");
        Expect.That(request.CertIds.Count is >= 1 and <= OcspRequestParser.MaxCertIds, $"{request.CertIds.Count} CertIDs");
        foreach (var id in request.CertIds)
        {
            Expect.That(id.SerialHex is null || (id.SerialHex.Length is > 0 and <= 40 && id.SerialHex.All(Uri.IsHexDigit)), "a malformed serial");
            Expect.That(id.Encoded.Length > 0 && input.IndexOf(id.Encoded.Span) >= 0, "the CertID's encoding is not taken from the request");
        }

        if (request.NonceExtension is { } nonce)
        {
            Expect.That(input.IndexOf(nonce.Span) >= 0, "the nonce extension is not taken from the request");
        }
    }
}

/// <summary>
/// <see cref="DerCertificate.TryParse"/> and every accessor of a parsed certificate: false, null or empty for anything
/// malformed, never an exception.
/// </summary>
internal static class CertificateHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (!DerCertificate.TryParse(input.ToArray(), out var certificate))
        {
            Expect.That(certificate is null, "a refused certificate came with a value");
            return;
        }

        Expect.That(certificate is not null, "true without a certificate");
        Exercise(certificate!);
    }

    /// <summary>Everything a caller may ask of a parsed certificate.</summary>
    public static void Exercise(DerCertificate certificate)
    {
        _ = certificate.SerialNumberHex;
        _ = certificate.IsCertificateAuthority;
        _ = certificate.HasPolicy(Oids.PolicyCardSigning);
        _ = certificate.SubjectKeyIdentifier;
        _ = certificate.SubjectSerialNumberAttribute();
        _ = certificate.TryGetExtension(Oids.KeyAttestation, out _);
        Expect.That(certificate.NotBefore.Offset == TimeSpan.Zero && certificate.NotAfter.Offset == TimeSpan.Zero, "a validity time not in UTC");
        using var key = certificate.ImportPublicKey();
        _ = certificate.IsSignedBy(key);
    }
}

/// <summary>
/// <see cref="CmsSignedApplication.TryRead"/>, then what the RA does with a message that reads: find the signer's
/// certificate and check the signature, with its key or with an unrelated one.
/// </summary>
internal static class CmsHarness
{
    private static readonly Lazy<RSA> OtherKey = new(() => RSA.Create(2048));

    public static void Warm() => _ = OtherKey.Value;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (!CmsSignedApplication.TryRead(input.ToArray(), out var application))
        {
            Expect.That(application is null, "a refused message came with a value");
            return;
        }

        Expect.That(application is not null && application.SignerCount >= 1, "a message without a signer was read");
        var signer = application!.FindSignerCertificate();
        if (signer is not null)
        {
            CertificateHarness.Exercise(signer);
            using var key = signer.ImportPublicKey();
            if (key is RSA rsa)
            {
                _ = application.VerifySignature(rsa);
            }
        }

        Expect.That(!application.VerifySignature(OtherKey.Value), "the signature verifies with an unrelated key");
    }
}
