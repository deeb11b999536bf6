using MobileJpki.Core;
using MobileJpki.Core.Delegation;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>
/// Issues, keeps and renews the delegated OCSP responder certificate of each CA (docs/revocation.md, "Responder
/// certificate"): RSA-2048 software key, validity <see cref="RevocationOptions.ResponderValidity"/> (30 days),
/// renewed <see cref="RevocationOptions.ResponderRenewBefore"/> (7 days) before it ends, or at once when the clock
/// was set before its notBefore. The CA key signs one certificate per renewal, nothing else; it may live in an HSM
/// while the responder key is a file under <c>{DataDirectory}/ocsp/</c> (mode 600).
/// </summary>
/// <remarks>
/// The mechanism is <see cref="DelegatedCertificates{TSigner}"/>, shared with the SE management certificate; this
/// class adds the responder's profile (id-kp-OCSPSigning, id-pkix-ocsp-nocheck). When renewal fails (the HSM is
/// gone), the current responder keeps signing until it expires: every response names its own certificate, so
/// responses of an old and a new responder verify alike.
/// </remarks>
public sealed class ResponderCertificates : IOcspSigners, IDisposable
{
    public const string OcspSigningOid = "1.3.6.1.5.5.7.3.9";
    public const string OcspNoCheckOid = "1.3.6.1.5.5.7.48.1.5";

    private readonly DelegatedCertificates<OcspSigner> _certificates;

    /// <param name="directory">Where the key and certificate files live; null keeps them in memory only (tests).</param>
    public ResponderCertificates(IEnumerable<RevocationIssuer> issuers, string? directory, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        _certificates = new DelegatedCertificates<OcspSigner>(
            issuers.Select(i => new DelegatedIssuer(i.Hierarchy, i.Certificate, i.Key)),
            directory,
            time,
            Profile(options),
            (hierarchy, certificate, key) => new OcspSigner(hierarchy, certificate, key));
    }

    /// <summary>Certificates issued by this instance (renewals included).</summary>
    public int Issued => _certificates.Issued;

    /// <summary>The responder profile: file names <c>{h}-responder.cer|key</c>, id-kp-OCSPSigning, id-pkix-ocsp-nocheck.</summary>
    public static DelegatedProfile Profile(RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DelegatedProfile(
            "responder",
            h => $"MobileJpki OCSP Responder ({h.WireName()})",
            OcspSigningOid,
            [new System.Security.Cryptography.X509Certificates.X509Extension(OcspNoCheckOid, [0x05, 0x00], false)],
            options.ResponderValidity,
            options.ResponderRenewBefore);
    }

    public OcspSigner For(Hierarchy hierarchy) => _certificates.For(hierarchy);

    public void Dispose() => _certificates.Dispose();
}
