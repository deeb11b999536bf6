using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Checks a to-be-signed certificate against its profile and the request, before the CA key is used.</summary>
/// <remarks>
/// Independent of the builder on purpose: it reads the encoded certificate back, so a bug in how we build
/// extensions is caught here instead of being signed. Messages name the rule and never carry personal data.
/// </remarks>
internal static partial class ProfileLinter
{
    public const string ViolationCode = "profile-violation";

    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string SubjectKeyIdentifierOid = "2.5.29.14";
    private const string AuthorityKeyIdentifierOid = "2.5.29.35";
    private const string AuthorityInformationAccessOid = "1.3.6.1.5.5.7.1.1";
    private const string CountryOid = "2.5.4.6";
    private const string OrganizationOid = "2.5.4.10";
    private const string OrganizationalUnitOid = "2.5.4.11";
    private const string CommonNameOid = "2.5.4.3";

    public static void Check(
        X509Certificate2 certificate,
        CertificateProfile profile,
        IssueRequest request,
        CaHierarchy ca,
        byte[] expectedSerial,
        DateTimeOffset expectedNotBefore)
    {
        var violations = new List<string>();
        void Fail(string rule, string detail) => violations.Add($"{rule}: {detail}");

        if (certificate.Version != 3)
        {
            Fail("version", "must be v3");
        }

        if (certificate.SignatureAlgorithm.Value != X509Encoding.Sha256WithRsaOid)
        {
            Fail("signature-algorithm", "must be sha256WithRSAEncryption");
        }

        var serial = certificate.SerialNumberBytes.Span;
        if (!SerialNumbers.IsWellFormed(serial) || !serial.SequenceEqual(expectedSerial))
        {
            Fail("serial-number", $"must be the prepared positive {SerialNumbers.Length}-byte serial");
        }

        var caCertificate = ca.CertificateFor(profile.Hierarchy);
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(caCertificate.SubjectName.RawData))
        {
            Fail("issuer", $"must be the {profile.Hierarchy.WireName()} root's subject");
        }

        CheckSubject(certificate.SubjectName, profile, Fail);

        var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        if (!SubjectPublicKeyInfos.TryValidateRsa2048(spki, out var keyError))
        {
            Fail("public-key", keyError);
        }
        else if (!spki.AsSpan().SequenceEqual(request.SubjectPublicKeyInfo))
        {
            Fail("public-key", "must be the requested key");
        }

        CheckValidity(certificate, profile, request, caCertificate, expectedNotBefore, Fail);
        CheckExtensions(certificate, profile, request, ca, Fail);

        if (violations.Count > 0)
        {
            throw new MjpkiException(
                ErrorKind.Internal,
                ViolationCode,
                $"The {profile.Kind} certificate breaks its profile: {string.Join("; ", violations)}.");
        }
    }

    private static void CheckSubject(X500DistinguishedName subject, CertificateProfile profile, Action<string, string> fail)
    {
        var expected = new (string Oid, Func<string, bool> Accepts)[]
        {
            (CountryOid, v => v == "JP"),
            (OrganizationOid, v => v == "JPKI Sandbox"),
            (OrganizationalUnitOid, v => v == profile.OrganizationalUnit),
            (CommonNameOid, v => RandomId().IsMatch(v)),
        };
        var names = subject.EnumerateRelativeDistinguishedNames().ToList();
        var ok = names.Count == expected.Length;
        for (var i = 0; ok && i < names.Count; i++)
        {
            ok = !names[i].HasMultipleElements
                && names[i].GetSingleElementType().Value == expected[i].Oid
                && names[i].GetSingleElementValue() is { } value
                && expected[i].Accepts(value);
        }

        if (!ok)
        {
            // Personal data belongs in the SAN of signing kinds only; the DN must stay a random handle.
            fail("subject", "must be exactly C=JP, O=JPKI Sandbox, OU=<kind>, CN=<20 hex digits>");
        }
    }

    private static void CheckValidity(
        X509Certificate2 certificate,
        CertificateProfile profile,
        IssueRequest request,
        X509Certificate2 caCertificate,
        DateTimeOffset expectedNotBefore,
        Action<string, string> fail)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notBefore != expectedNotBefore)
        {
            fail("validity-not-before", "must be the issue time");
        }

        if (notAfter <= notBefore)
        {
            fail("validity-order", "notAfter must be after notBefore");
        }

        if (request.BirthDate > DateOnly.FromDateTime(expectedNotBefore.ToOffset(Validity.Jst).DateTime)
            || notAfter > Validity.CardNotAfter(request.BirthDate, expectedNotBefore))
        {
            fail("validity-birthday", "must end no later than the 5th birthday after issue");
        }

        if (profile.RequiresNotAfterCap && request.NotAfterCap is null)
        {
            fail("validity-cap", "a phone certificate needs its card certificate's notAfter as a cap");
        }

        if (request.NotAfterCap is { } cap && notAfter > cap)
        {
            fail("validity-cap", "must not outlive the card certificate");
        }

        if (notAfter > new DateTimeOffset(caCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero))
        {
            fail("validity-ca", "must not outlive the issuing root");
        }
    }

    private static void CheckExtensions(
        X509Certificate2 certificate,
        CertificateProfile profile,
        IssueRequest request,
        CaHierarchy ca,
        Action<string, string> fail)
    {
        var byOid = new Dictionary<string, X509Extension>(StringComparer.Ordinal);
        foreach (var extension in certificate.Extensions)
        {
            var oid = extension.Oid?.Value ?? string.Empty;
            if (!byOid.TryAdd(oid, extension))
            {
                fail("duplicate-extension", oid);
            }
        }

        X509Extension? Take(string oid, string rule, bool expected, bool critical)
        {
            if (!byOid.Remove(oid, out var extension))
            {
                if (expected)
                {
                    fail(rule, "missing");
                }

                return null;
            }

            if (!expected)
            {
                fail(rule, "must be absent for this kind");
                return null;
            }

            if (extension.Critical != critical)
            {
                fail(rule, critical ? "must be critical" : "must not be critical");
            }

            return extension;
        }

        if (Take(BasicConstraintsOid, "basic-constraints", true, true) is { } bc
            && new X509BasicConstraintsExtension(new AsnEncodedData(bc.Oid, bc.RawData), bc.Critical).CertificateAuthority)
        {
            fail("basic-constraints", "must say CA=false");
        }

        if (Take(KeyUsageOid, "key-usage", true, true) is { } ku
            && new X509KeyUsageExtension(new AsnEncodedData(ku.Oid, ku.RawData), ku.Critical).KeyUsages != profile.KeyUsage)
        {
            fail("key-usage", $"must be exactly {profile.KeyUsage}");
        }

        if (Take(ExtendedKeyUsageOid, "extended-key-usage", profile.ExtendedKeyUsages.Count > 0, false) is { } eku)
        {
            var usages = new X509EnhancedKeyUsageExtension(new AsnEncodedData(eku.Oid, eku.RawData), eku.Critical)
                .EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
            if (!usages.SequenceEqual(profile.ExtendedKeyUsages))
            {
                fail("extended-key-usage", $"must be exactly {string.Join(",", profile.ExtendedKeyUsages)}");
            }
        }

        if (Take(X509Encoding.CertificatePoliciesOid, "certificate-policies", true, false) is { } policies
            && !(X509Encoding.ReadPolicies(policies.RawData) is [var policy] && policy == profile.PolicyOid))
        {
            fail("certificate-policies", $"must be exactly {profile.PolicyOid}");
        }

        if (profile.CarriesBasic4Info && request.Person is null)
        {
            fail("subject-alt-name", "a signing certificate needs the person's 基本4情報");
        }

        if (Take(Basic4InfoCodec.SubjectAltNameOid, "subject-alt-name", profile.CarriesBasic4Info, false) is { } san
            && (!Basic4InfoCodec.TryReadSubjectAltName(san.RawData, out var person) || person != request.Person))
        {
            fail("subject-alt-name", "must carry exactly the requested person's 基本4情報");
        }

        if (Take(SubjectKeyIdentifierOid, "subject-key-identifier", true, false) is { } ski
            && !new X509SubjectKeyIdentifierExtension(new AsnEncodedData(ski.Oid, ski.RawData), ski.Critical).SubjectKeyIdentifierBytes.Span
                .SequenceEqual(new X509SubjectKeyIdentifierExtension(certificate.PublicKey, false).SubjectKeyIdentifierBytes.Span))
        {
            fail("subject-key-identifier", "must be the SHA-1 key identifier of the subject key");
        }

        if (Take(AuthorityKeyIdentifierOid, "authority-key-identifier", true, false) is { } aki)
        {
            var keyId = new X509AuthorityKeyIdentifierExtension(aki.RawData, aki.Critical).KeyIdentifier;
            if (keyId is not { } id || !id.Span.SequenceEqual(ca.KeyIdentifierFor(profile.Hierarchy).SubjectKeyIdentifierBytes.Span))
            {
                fail("authority-key-identifier", "must be the root's key identifier");
            }
        }

        if (Take(AuthorityInformationAccessOid, "authority-information-access", true, false) is { } aia)
        {
            var access = new X509AuthorityInformationAccessExtension(aia.RawData, aia.Critical);
            if (!access.EnumerateCAIssuersUris().SequenceEqual([ca.CaIssuersUrl(profile.Hierarchy)])
                || !access.EnumerateOcspUris().SequenceEqual([ca.OcspUrl(profile.Hierarchy)]))
            {
                fail("authority-information-access", "must name exactly the root's caIssuers and OCSP URLs");
            }
        }

        if (Take(X509Encoding.CrlDistributionPointsOid, "crl-distribution-points", true, false) is { } cdp
            && !(X509Encoding.ReadCrlDistributionUris(cdp.RawData) is [var crlUrl] && crlUrl == ca.CrlUrl(profile.Hierarchy)))
        {
            fail("crl-distribution-points", "must name exactly the root's CRL URL");
        }

        foreach (var unknown in byOid.Keys)
        {
            fail("unknown-extension", unknown);
        }
    }

    [GeneratedRegex(@"\A[0-9a-f]{20}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RandomId();
}
