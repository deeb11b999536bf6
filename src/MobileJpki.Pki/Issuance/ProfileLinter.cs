using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Checks a DER TBSCertificate against its profile and the request, before the CA key is used.</summary>
/// <remarks>
/// Independent of the writer on purpose: it parses the exact bytes that will be signed with its own reader and compares
/// every field with the profile, the request and the root certificate (never with the writer's pre-encoded parts), so
/// a bug in how we build a certificate is caught here instead of being signed. Messages name the rule and never carry
/// personal data.
/// </remarks>
internal static class ProfileLinter
{
    public const string ViolationCode = "profile-violation";

    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string SubjectKeyIdentifierOid = "2.5.29.14";
    private const string AuthorityKeyIdentifierOid = "2.5.29.35";
    private const string AuthorityInformationAccessOid = "1.3.6.1.5.5.7.1.1";
    private const string OcspAccessMethodOid = "1.3.6.1.5.5.7.48.1";
    private const string CaIssuersAccessMethodOid = "1.3.6.1.5.5.7.48.2";
    private const string CountryOid = "2.5.4.6";
    private const string OrganizationOid = "2.5.4.10";
    private const string OrganizationalUnitOid = "2.5.4.11";
    private const string CommonNameOid = "2.5.4.3";
    private const string Organization = "JPKI Sandbox";
    private const string Country = "JP";
    private const int HandleLength = 20;

    private static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag IssuerUniqueIdTag = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag SubjectUniqueIdTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);
    private static readonly Asn1Tag KeyIdentifierTag = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);
    private static readonly Asn1Tag ExplicitContext0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <param name="tbs">The DER TBSCertificate exactly as it will be signed.</param>
    public static void Check(
        ReadOnlyMemory<byte> tbs,
        CertificateProfile profile,
        IssueRequest request,
        CaHierarchy ca,
        ReadOnlySpan<byte> expectedSerial,
        DateTimeOffset expectedNotBefore,
        int? expectedCrlPartition = null)
    {
        var report = new Report();
        var root = ca.IssuingCaFor(profile.Hierarchy);
        try
        {
            var outer = new AsnReader(tbs, AsnEncodingRules.DER);
            var certificate = outer.ReadSequence();
            if (outer.HasData)
            {
                report.Fail("structure", "trailing data after the TBSCertificate");
            }

            CheckVersion(certificate.ReadSequence(VersionTag), report);

            var serial = certificate.ReadIntegerBytes().Span;
            if (!SerialNumbers.IsWellFormed(serial) || !serial.SequenceEqual(expectedSerial))
            {
                report.Fail("serial-number", $"must be the prepared positive {SerialNumbers.Length}-byte serial");
            }

            CheckSignatureAlgorithm(certificate.ReadSequence(), report);

            if (!certificate.ReadEncodedValue().Span.SequenceEqual(root.Name))
            {
                report.Fail("issuer", $"must be the {profile.Hierarchy.WireName()} root's subject");
            }

            CheckValidity(certificate.ReadSequence(), profile, request, root, expectedNotBefore, report);
            CheckSubject(certificate.ReadSequence(), profile, report);

            var spki = certificate.ReadEncodedValue();
            if (!SubjectPublicKeyInfos.TryValidateRsa2048(spki, out var keyError))
            {
                report.Fail("public-key", keyError);
            }
            else if (!spki.Span.SequenceEqual(request.SubjectPublicKeyInfo))
            {
                report.Fail("public-key", "must be the requested key");
            }

            if (certificate.HasData && (certificate.PeekTag() == IssuerUniqueIdTag || certificate.PeekTag() == SubjectUniqueIdTag))
            {
                // RFC 5280 §4.1.2.8: conforming CAs do not generate unique identifiers.
                report.Fail("unique-identifier", "must be absent");
                certificate.ReadEncodedValue();
                if (certificate.HasData && certificate.PeekTag() == SubjectUniqueIdTag)
                {
                    certificate.ReadEncodedValue();
                }
            }

            if (!certificate.HasData || certificate.PeekTag() != ExtensionsTag)
            {
                report.Fail("extensions", "missing");
            }
            else
            {
                var wrapper = certificate.ReadSequence(ExtensionsTag);
                var extensions = wrapper.ReadSequence();
                wrapper.ThrowIfNotEmpty();
                CheckExtensions(extensions, spki, profile, request, root, expectedCrlPartition, report);
            }

            certificate.ThrowIfNotEmpty();
        }
        catch (AsnContentException)
        {
            report.Fail("structure", "the TBSCertificate is not well-formed DER");
        }

        if (report.Violations is { } violations)
        {
            throw new MjpkiException(
                ErrorKind.Internal,
                ViolationCode,
                $"The {profile.Kind} certificate breaks its profile: {string.Join("; ", violations)}.");
        }
    }

    private static void CheckVersion(AsnReader version, Report report)
    {
        if (!version.TryReadInt32(out var value) || value != 2 || version.HasData)
        {
            report.Fail("version", "must be v3");
        }
    }

    private static void CheckSignatureAlgorithm(AsnReader algorithm, Report report)
    {
        if (algorithm.ReadObjectIdentifier() != X509Encoding.Sha256WithRsaOid)
        {
            report.Fail("signature-algorithm", "must be sha256WithRSAEncryption");
        }
        else if (!algorithm.HasData || algorithm.PeekTag() != Asn1Tag.Null)
        {
            report.Fail("signature-algorithm", "must have NULL parameters");
        }
        else
        {
            algorithm.ReadNull();
            if (algorithm.HasData)
            {
                report.Fail("signature-algorithm", "must have nothing after the NULL parameters");
            }
        }
    }

    private static void CheckValidity(
        AsnReader validity,
        CertificateProfile profile,
        IssueRequest request,
        IssuingCa root,
        DateTimeOffset expectedNotBefore,
        Report report)
    {
        var notBefore = ReadTime(validity, report);
        var notAfter = ReadTime(validity, report);
        validity.ThrowIfNotEmpty();

        if (notBefore != expectedNotBefore)
        {
            report.Fail("validity-not-before", "must be the issue time");
        }

        if (notAfter <= notBefore)
        {
            report.Fail("validity-order", "notAfter must be after notBefore");
        }

        if (request.BirthDate > DateOnly.FromDateTime(expectedNotBefore.ToOffset(Validity.Jst).DateTime))
        {
            report.Fail("validity-birthday", "must end no later than the 5th birthday after issue");
        }
        else
        {
            if (notAfter > Validity.CardNotAfter(request.BirthDate, expectedNotBefore))
            {
                report.Fail("validity-birthday", "must end no later than the 5th birthday after issue");
            }

            if (notAfter != Validity.NotAfter(request.BirthDate, expectedNotBefore, request.NotAfterCap))
            {
                report.Fail("validity-not-after", "must be the 5th birthday after issue or, if earlier, the cap");
            }
        }

        if (profile.RequiresNotAfterCap && request.NotAfterCap is null)
        {
            report.Fail("validity-cap", "a phone certificate needs its card certificate's notAfter as a cap");
        }

        if (request.NotAfterCap is { } cap && notAfter > cap)
        {
            report.Fail("validity-cap", "must not outlive the card certificate");
        }

        if (notAfter > root.NotAfter)
        {
            report.Fail("validity-ca", "must not outlive the issuing root");
        }
    }

    /// <summary>A Time, holding RFC 5280 §4.1.2.5 to its rule: UTCTime for 1950–2049, GeneralizedTime otherwise.</summary>
    private static DateTimeOffset ReadTime(AsnReader reader, Report report)
    {
        var tag = reader.PeekTag();
        if (tag.HasSameClassAndValue(Asn1Tag.UtcTime))
        {
            // The reader maps two-digit years to 1950–2049, so the rule holds by construction.
            return reader.ReadUtcTime();
        }

        var value = reader.ReadGeneralizedTime();
        if (value.Year is >= 1950 and < 2050)
        {
            report.Fail("validity-encoding", "dates before 2050 must be UTCTime");
        }

        return value;
    }

    /// <summary>Exactly CN=&lt;20 hex digits&gt;, OU=&lt;kind&gt;, O=JPKI Sandbox, C=JP in encoded order: the DN is a handle, never personal data.</summary>
    private static void CheckSubject(AsnReader subject, CertificateProfile profile, Report report)
    {
        var ok = ReadSingleAttribute(subject, CommonNameOid, out var handle) && IsHandle(handle)
            && ReadSingleAttribute(subject, OrganizationalUnitOid, out var unit) && unit == profile.OrganizationalUnit
            && ReadSingleAttribute(subject, OrganizationOid, out var organization) && organization == Organization
            && ReadSingleAttribute(subject, CountryOid, out var country, countryCode: true) && country == Country
            && !subject.HasData;
        if (!ok)
        {
            // Personal data belongs in the SAN of signing kinds only; the DN must stay a random handle.
            report.Fail("subject", "must be exactly C=JP, O=JPKI Sandbox, OU=<kind>, CN=<20 hex digits>");
        }
    }

    /// <summary>Reads one single-valued RDN of the given type; the value must be a UTF8String (PrintableString for a country).</summary>
    private static bool ReadSingleAttribute(AsnReader name, string type, out string? value, bool countryCode = false)
    {
        value = null;
        if (!name.HasData)
        {
            return false;
        }

        var rdn = name.ReadSetOf();
        var attribute = rdn.ReadSequence();
        if (rdn.HasData || attribute.ReadObjectIdentifier() != type)
        {
            return false;
        }

        var stringType = countryCode ? UniversalTagNumber.PrintableString : UniversalTagNumber.UTF8String;
        if (!attribute.HasData || attribute.PeekTag() != new Asn1Tag(stringType))
        {
            return false;
        }

        value = attribute.ReadCharacterString(stringType);
        return !attribute.HasData;
    }

    private static bool IsHandle(string? value)
    {
        if (value is not { Length: HandleLength })
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckExtensions(
        AsnReader sequence,
        ReadOnlyMemory<byte> spki,
        CertificateProfile profile,
        IssueRequest request,
        IssuingCa root,
        int? expectedCrlPartition,
        Report report)
    {
        var byOid = new Dictionary<string, (bool Critical, ReadOnlyMemory<byte> Value)>(StringComparer.Ordinal);
        while (sequence.HasData)
        {
            var extension = sequence.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            var critical = false;
            if (extension.HasData && extension.PeekTag() == Asn1Tag.Boolean)
            {
                critical = extension.ReadBoolean();
                if (!critical)
                {
                    report.Fail("extension-encoding", $"{oid}: DER omits critical when it is FALSE");
                }
            }

            var value = extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            if (!byOid.TryAdd(oid, (critical, value)))
            {
                report.Fail("duplicate-extension", oid);
            }
        }

        ReadOnlyMemory<byte>? Take(string oid, string rule, bool expected, bool critical)
        {
            if (!byOid.Remove(oid, out var extension))
            {
                if (expected)
                {
                    report.Fail(rule, "missing");
                }

                return null;
            }

            if (!expected)
            {
                report.Fail(rule, "must be absent for this kind");
                return null;
            }

            if (extension.Critical != critical)
            {
                report.Fail(rule, critical ? "must be critical" : "must not be critical");
            }

            return extension.Value;
        }

        if (Take(BasicConstraintsOid, "basic-constraints", true, true) is { } bc && !IsEndEntityConstraints(bc))
        {
            report.Fail("basic-constraints", "must say CA=false and carry no path length");
        }

        if (Take(KeyUsageOid, "key-usage", true, true) is { } ku && ReadKeyUsage(ku) != profile.KeyUsage)
        {
            report.Fail("key-usage", $"must be exactly {profile.KeyUsage}");
        }

        if (Take(ExtendedKeyUsageOid, "extended-key-usage", profile.ExtendedKeyUsages.Count > 0, false) is { } eku
            && !(ReadObjectIdentifiers(eku) is { } usages && usages.SequenceEqual(profile.ExtendedKeyUsages)))
        {
            report.Fail("extended-key-usage", $"must be exactly {string.Join(",", profile.ExtendedKeyUsages)}");
        }

        if (Take(X509Encoding.CertificatePoliciesOid, "certificate-policies", true, false) is { } policies
            && !(ReadPolicies(policies) is [var policy] && policy == profile.PolicyOid))
        {
            report.Fail("certificate-policies", $"must be exactly {profile.PolicyOid}");
        }

        if (profile.CarriesBasic4Info && request.Person is null)
        {
            report.Fail("subject-alt-name", "a signing certificate needs the person's 基本4情報");
        }

        if (Take(Basic4InfoCodec.SubjectAltNameOid, "subject-alt-name", profile.CarriesBasic4Info, false) is { } san
            && (!Basic4InfoCodec.TryReadSubjectAltName(san, out var person) || person != request.Person))
        {
            report.Fail("subject-alt-name", "must carry exactly the requested person's 基本4情報");
        }

        if (Take(SubjectKeyIdentifierOid, "subject-key-identifier", true, false) is { } ski && !IsKeyIdentifierOf(ski, spki))
        {
            report.Fail("subject-key-identifier", "must be the SHA-1 key identifier of the subject key");
        }

        if (Take(AuthorityKeyIdentifierOid, "authority-key-identifier", true, false) is { } aki && !IsAuthorityKeyIdentifier(aki, root.KeyIdentifier))
        {
            report.Fail("authority-key-identifier", "must be exactly the root's key identifier");
        }

        if (Take(AuthorityInformationAccessOid, "authority-information-access", true, false) is { } aia && !IsAuthorityInformationAccess(aia, root))
        {
            report.Fail("authority-information-access", "must name exactly the root's caIssuers and OCSP URLs");
        }

        if (Take(X509Encoding.CrlDistributionPointsOid, "crl-distribution-points", true, false) is { } cdp
            && !(ReadCrlDistributionUris(cdp) is [var crlUrl] && crlUrl == (expectedCrlPartition is { } partition ? root.CrlPartitionUrl(partition) : root.CrlUrl)))
        {
            report.Fail("crl-distribution-points", "must name exactly the root's CRL URL");
        }

        foreach (var unknown in byOid.Keys)
        {
            report.Fail("unknown-extension", unknown);
        }
    }

    /// <summary>BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }: DER leaves it empty.</summary>
    private static bool IsEndEntityConstraints(ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var constraints = reader.ReadSequence();
            return !reader.HasData && !constraints.HasData;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>The KeyUsage named bits as .NET flags (bit n of the BIT STRING is 0x80 &gt;&gt; n of the first byte; decipherOnly is 0x8000); null when malformed.</summary>
    private static X509KeyUsageFlags? ReadKeyUsage(ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var bits = reader.ReadBitString(out var unusedBits);
            reader.ThrowIfNotEmpty();

            // DER named bit lists drop trailing zero bits: the last byte is non-zero and its trailing zeros are the unused bits.
            if (bits.Length is 0 or > 2 || bits[^1] == 0 || unusedBits != int.TrailingZeroCount(bits[^1]))
            {
                return null;
            }

            var flags = bits[0] | (bits.Length > 1 ? bits[1] << 8 : 0);
            return (X509KeyUsageFlags)flags;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static List<string>? ReadObjectIdentifiers(ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var result = new List<string>();
            while (sequence.HasData)
            {
                result.Add(sequence.ReadObjectIdentifier());
            }

            return result;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>Policy OIDs of a certificatePolicies value (policies without qualifiers only); null when malformed.</summary>
    private static List<string>? ReadPolicies(ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var policies = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var result = new List<string>();
            while (policies.HasData)
            {
                var policy = policies.ReadSequence();
                result.Add(policy.ReadObjectIdentifier());
                if (policy.HasData)
                {
                    return null;
                }
            }

            return result;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>The value must be an OCTET STRING holding SHA-1 of the subjectPublicKey bits read from the TBS.</summary>
    private static bool IsKeyIdentifierOf(ReadOnlyMemory<byte> value, ReadOnlyMemory<byte> spki)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var identifier = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();

            var info = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            info.ReadSequence();
            var key = info.ReadBitString(out _);
            Span<byte> expected = stackalloc byte[SHA1.HashSizeInBytes];
            SHA1.HashData(key, expected);
            return identifier.AsSpan().SequenceEqual(expected);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } and nothing else.</summary>
    private static bool IsAuthorityKeyIdentifier(ReadOnlyMemory<byte> value, byte[] rootKeyIdentifier)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var keyIdentifier = sequence.ReadOctetString(KeyIdentifierTag);
            return !sequence.HasData && keyIdentifier.AsSpan().SequenceEqual(rootKeyIdentifier);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>Exactly one OCSP and one caIssuers access description, each a URI naming the root's; nothing else.</summary>
    private static bool IsAuthorityInformationAccess(ReadOnlyMemory<byte> value, IssuingCa root)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var descriptions = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var ocsp = new List<string>();
            var caIssuers = new List<string>();
            while (descriptions.HasData)
            {
                var description = descriptions.ReadSequence();
                var method = description.ReadObjectIdentifier();
                var uri = description.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                description.ThrowIfNotEmpty();
                switch (method)
                {
                    case OcspAccessMethodOid: ocsp.Add(uri); break;
                    case CaIssuersAccessMethodOid: caIssuers.Add(uri); break;
                    default: return false;
                }
            }

            return ocsp is [var ocspUrl] && ocspUrl == root.OcspUrl
                && caIssuers is [var caIssuersUrl] && caIssuersUrl == root.CaIssuersUrl;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>URIs of the fullName distribution points; null when malformed or using forms we never issue.</summary>
    private static List<string>? ReadCrlDistributionUris(ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var points = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var result = new List<string>();
            while (points.HasData)
            {
                var point = points.ReadSequence();
                var name = point.ReadSequence(ExplicitContext0);
                var fullName = name.ReadSequence(ExplicitContext0);
                while (fullName.HasData)
                {
                    result.Add(fullName.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }

                if (name.HasData || point.HasData)
                {
                    return null;
                }
            }

            return result;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>Collects violations; allocates only when there is one.</summary>
    private sealed class Report
    {
        public List<string>? Violations { get; private set; }

        public void Fail(string rule, string detail) => (Violations ??= []).Add($"{rule}: {detail}");
    }
}
