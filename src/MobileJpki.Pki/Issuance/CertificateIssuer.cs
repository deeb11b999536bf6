using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Issues end-entity certificates in two phases, as Boulder does: <see cref="Prepare"/> builds and lints, <see cref="Sign"/> signs.</summary>
/// <remarks>
/// The issuance cycle:
/// <list type="number">
/// <item>Check the request against the kind's rules (bad requests are rejected before any work).</item>
/// <item>Choose the serial and validity; build the TBSCertificate.</item>
/// <item>Lint the TBS bytes with an independent parser; the CA key is not touched, so a linter failure costs nothing and
/// signs nothing.</item>
/// <item>The caller stores the serial and the TBS (so a serial is never used twice, even after a crash).</item>
/// <item>Sign the exact linted TBS once with the root's key and assemble the certificate.</item>
/// </list>
/// Stateless apart from the injected CA and clock, so one instance serves concurrent requests.
/// </remarks>
public sealed class CertificateIssuer
{
    private readonly CaHierarchy _ca;
    private readonly TimeProvider _time;

    public CertificateIssuer(CaHierarchy ca, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(time);
        _ca = ca;
        _time = time;
    }

    /// <summary>Steps 1–3: validates the request, builds the TBSCertificate and lints it. Uses no CA key operation.</summary>
    /// <exception cref="MjpkiException">Bad request (a rule of the kind is broken) or internal "profile-violation" (the linter caught a bug).</exception>
    public PreparedCertificate Prepare(IssueRequest request) => Prepare(request, validateRequest: true);

    /// <summary>Step 5: signs the linted TBS with the root's key (SHA-256, PKCS#1 v1.5) and returns the certificate DER.</summary>
    public byte[] Sign(PreparedCertificate prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (!ReferenceEquals(prepared.Issuer, _ca))
        {
            // Signing another CA's TBS would produce a certificate whose issuer name and AKI do not match its signer.
            throw new MjpkiException(ErrorKind.Internal, "foreign-prepared-certificate", "The prepared certificate belongs to another CA.");
        }

        var signature = _ca.SignerFor(prepared.Hierarchy).SignData(prepared.TbsSpan, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return X509Encoding.AssembleCertificate(prepared.TbsSpan, signature);
    }

    /// <summary>Prepare and sign in one call, for callers that keep no record between the two.</summary>
    public byte[] Issue(IssueRequest request) => Sign(Prepare(request));

    /// <summary>Tests turn request validation off to prove the linter alone stops a bad certificate.</summary>
    internal PreparedCertificate Prepare(IssueRequest request, bool validateRequest)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Step 1: the kind's rules.
        var issuedAt = Validity.TruncateToSeconds(_time.GetUtcNow());
        if (validateRequest)
        {
            ValidateRequest(request, issuedAt);
        }

        // Step 2: serial, validity, TBS.
        var profile = CertificateProfiles.For(request.Kind);
        var notAfter = Validity.NotAfter(request.BirthDate, issuedAt, request.NotAfterCap);
        if (notAfter <= issuedAt)
        {
            throw MjpkiException.BadRequest("not-after-cap-passed", "The card certificate this one derives from has already expired.");
        }

        // Without the request check (tests only) the key is not known to be RSA, but it must still be one DER value.
        if (!SubjectPublicKeyInfos.TryReadSubjectPublicKey(request.SubjectPublicKeyInfo, out var subjectPublicKey))
        {
            throw MjpkiException.BadRequest("invalid-public-key", "The public key is not a DER SubjectPublicKeyInfo.");
        }

        if (!validateRequest)
        {
            // The SAN is written from the request, not the profile, so that a Person on an auth kind reaches the linter and
            // is caught there; its facts must still be encodable.
            request.Person?.Validate();
        }

        // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, as X509SubjectKeyIdentifierExtension computes it.
        Span<byte> keyIdentifier = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(subjectPublicKey.Span, keyIdentifier);

        Span<byte> handleBytes = stackalloc byte[TbsCertificateWriter.HandleBytes];
        var serial = SerialNumbers.New(handleBytes);

        // The serial is random, so its last bytes spread certificates evenly over the CRL partitions.
        var root = _ca.IssuingCaFor(profile.Hierarchy);
        int? crlPartition = root.CrlPartitions > 0 ? ((serial[^2] << 8) | serial[^1]) % root.CrlPartitions : null;
        Span<char> handle = stackalloc char[TbsCertificateWriter.HandleBytes * 2];
        Convert.TryToHexStringLower(handleBytes, handle, out _);

        var tbs = TbsCertificateWriter.Write(
            request.Kind,
            _ca.IssuingCaFor(profile.Hierarchy),
            serial,
            handle,
            issuedAt,
            notAfter,
            request.SubjectPublicKeyInfo,
            keyIdentifier,
            request.Person,
            crlPartition);

        // Step 3: lint the exact bytes that will be signed, before any signature.
        ProfileLinter.Check(tbs, profile, request, _ca, serial, issuedAt, crlPartition);

        return new PreparedCertificate(_ca, request.Kind, serial, tbs, issuedAt, notAfter) { CrlPartition = crlPartition };
    }

    private static void ValidateRequest(IssueRequest request, DateTimeOffset issuedAt)
    {
        if (!Enum.IsDefined(request.Kind))
        {
            throw MjpkiException.BadRequest("invalid-kind", "Unknown certificate kind.");
        }

        if (!SubjectPublicKeyInfos.TryValidateRsa2048(request.SubjectPublicKeyInfo, out var keyError))
        {
            throw MjpkiException.BadRequest("invalid-public-key", keyError);
        }

        var profile = CertificateProfiles.For(request.Kind);
        if (profile.CarriesBasic4Info)
        {
            if (request.Person is null)
            {
                throw MjpkiException.BadRequest("person-required", "A signing certificate needs the person's 基本4情報.");
            }

            request.Person.Validate();
            if (request.Person.BirthDate != request.BirthDate)
            {
                throw MjpkiException.BadRequest("birth-date-mismatch", "The birth date differs from the one in 基本4情報.");
            }
        }
        else if (request.Person is not null)
        {
            throw MjpkiException.BadRequest("person-forbidden", "An authentication certificate carries no personal data.");
        }

        if (request.BirthDate > DateOnly.FromDateTime(issuedAt.ToOffset(Validity.Jst).DateTime))
        {
            throw MjpkiException.BadRequest("invalid-birth-date", "The birth date is in the future.");
        }

        if (profile.RequiresNotAfterCap && request.NotAfterCap is null)
        {
            throw MjpkiException.BadRequest("not-after-cap-required", "A phone certificate needs the card certificate's expiry.");
        }
    }
}
