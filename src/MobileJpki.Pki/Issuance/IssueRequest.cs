using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>What the RA asks the CA to certify; the CA re-checks every rule it depends on.</summary>
/// <param name="SubjectPublicKeyInfo">DER SubjectPublicKeyInfo of the subject's key; RSA-2048 with e = 65537 only.</param>
/// <param name="Person">基本4情報: required for signing kinds, must be null for auth kinds (they carry no personal data).</param>
/// <param name="BirthDate">Always required: validity ends on the 5th birthday after issue. Equals Person.BirthDate when both are set.</param>
/// <param name="NotAfterCap">For phone kinds, the card certificate's NotAfter (required); for card kinds an optional extra cap.</param>
public sealed record IssueRequest(
    CertificateKind Kind,
    byte[] SubjectPublicKeyInfo,
    Basic4Info? Person,
    DateOnly BirthDate,
    DateTimeOffset? NotAfterCap);
