using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Writes the DER TBSCertificate of an end-entity certificate directly, from parts encoded once per kind and per root.</summary>
/// <remarks>
/// RFC 5280 §4.1: v3, the serial, sha256WithRSAEncryption (NULL parameters), the root's subject as issuer, UTCTime
/// before 2050 and GeneralizedTime from 2050, the subject, the key as given, then the extensions in the order
/// basicConstraints, keyUsage, extKeyUsage (auth kinds), certificatePolicies, subjectAltName (when a person is given),
/// subjectKeyIdentifier, authorityKeyIdentifier, authorityInfoAccess, cRLDistributionPoints.
/// Does no checking: <see cref="ProfileLinter"/> reads the result back.
/// </remarks>
internal static class TbsCertificateWriter
{
    /// <summary>Random bytes in the subject CN (shown as 20 lowercase hex digits).</summary>
    public const int HandleBytes = 10;

    private const string CommonNameOid = "2.5.4.3";
    private const string SubjectKeyIdentifierOid = "2.5.29.14";
    private const int Version3 = 2;

    /// <summary>Generous enough for a signing certificate with long 基本4情報, so the writer rarely grows.</summary>
    private const int InitialCapacity = 2048;

    private static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);

    private static readonly KindTemplate CardSigning = new(CertificateProfiles.For(CertificateKind.CardSigning));
    private static readonly KindTemplate CardAuth = new(CertificateProfiles.For(CertificateKind.CardAuth));
    private static readonly KindTemplate PhoneSigning = new(CertificateProfiles.For(CertificateKind.PhoneSigning));
    private static readonly KindTemplate PhoneAuth = new(CertificateProfiles.For(CertificateKind.PhoneAuth));

    /// <param name="handle">The subject CN (the random handle, already hex).</param>
    /// <param name="subjectPublicKeyInfo">DER SubjectPublicKeyInfo, one complete value (copied as is).</param>
    /// <param name="subjectKeyIdentifier">The subjectKeyIdentifier value (SHA-1 of the subjectPublicKey bits).</param>
    /// <param name="person">基本4情報 for the subjectAltName, already validated; null writes no subjectAltName.</param>
    /// <param name="crlPartition">The CRL partition its CRL distribution point names; null names the complete CRL.</param>
    public static byte[] Write(
        CertificateKind kind,
        IssuingCa issuer,
        ReadOnlySpan<byte> serial,
        ReadOnlySpan<char> handle,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        ReadOnlySpan<byte> subjectPublicKeyInfo,
        ReadOnlySpan<byte> subjectKeyIdentifier,
        Basic4Info? person,
        int? crlPartition = null)
    {
        var template = TemplateFor(kind);
        var writer = new AsnWriter(AsnEncodingRules.DER, InitialCapacity);
        using (writer.PushSequence())
        {
            using (writer.PushSequence(VersionTag))
            {
                writer.WriteInteger(Version3);
            }

            writer.WriteInteger(serial);
            writer.WriteEncodedValue(X509Encoding.Sha256WithRsaAlgorithmIdentifier);
            writer.WriteEncodedValue(issuer.Name);
            using (writer.PushSequence())
            {
                WriteTime(writer, notBefore);
                WriteTime(writer, notAfter);
            }

            // X500DistinguishedNameBuilder encodes the last added RDN first: CN, then OU, O, C.
            using (writer.PushSequence())
            {
                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(CommonNameOid);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, handle);
                }

                foreach (var rdn in template.SubjectSuffix)
                {
                    writer.WriteEncodedValue(rdn);
                }
            }

            writer.WriteEncodedValue(subjectPublicKeyInfo);
            using (writer.PushSequence(ExtensionsTag))
            using (writer.PushSequence())
            {
                foreach (var extension in template.LeadingExtensions)
                {
                    writer.WriteEncodedValue(extension);
                }

                if (person is not null)
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Basic4InfoCodec.SubjectAltNameOid);
                        using (writer.PushOctetString())
                        {
                            Basic4InfoCodec.WriteGeneralNames(writer, person);
                        }
                    }
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(SubjectKeyIdentifierOid);
                    using (writer.PushOctetString())
                    {
                        writer.WriteOctetString(subjectKeyIdentifier);
                    }
                }

                foreach (var extension in issuer.TrailingExtensionsFor(crlPartition))
                {
                    writer.WriteEncodedValue(extension);
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and, as the BCL does, before 1950).</summary>
    private static void WriteTime(AsnWriter writer, DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        if (utc.Year is >= 1950 and < 2050)
        {
            writer.WriteUtcTime(utc);
        }
        else
        {
            writer.WriteGeneralizedTime(utc, omitFractionalSeconds: true);
        }
    }

    private static KindTemplate TemplateFor(CertificateKind kind) => kind switch
    {
        CertificateKind.CardSigning => CardSigning,
        CertificateKind.CardAuth => CardAuth,
        CertificateKind.PhoneSigning => PhoneSigning,
        CertificateKind.PhoneAuth => PhoneAuth,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The parts of a kind's TBS that never change, encoded by the BCL's own X.509 types.</summary>
    private sealed class KindTemplate
    {
        public KindTemplate(CertificateProfile profile)
        {
            var name = new X500DistinguishedNameBuilder();
            name.AddCountryOrRegion("JP");
            name.AddOrganizationName("JPKI Sandbox");
            name.AddOrganizationalUnitName(profile.OrganizationalUnit);
            var reader = new AsnReader(name.Build().RawData, AsnEncodingRules.DER);
            var rdns = reader.ReadSequence();
            var suffix = new List<byte[]>();
            while (rdns.HasData)
            {
                suffix.Add(rdns.ReadEncodedValue().ToArray());
            }

            SubjectSuffix = [.. suffix];

            var extensions = new List<byte[]>
            {
                X509Encoding.EncodeExtension(new X509BasicConstraintsExtension(false, false, 0, true)),
                X509Encoding.EncodeExtension(new X509KeyUsageExtension(profile.KeyUsage, true)),
            };
            if (profile.ExtendedKeyUsages.Count > 0)
            {
                var usages = new OidCollection();
                foreach (var usage in profile.ExtendedKeyUsages)
                {
                    usages.Add(new Oid(usage));
                }

                extensions.Add(X509Encoding.EncodeExtension(new X509EnhancedKeyUsageExtension(usages, false)));
            }

            extensions.Add(X509Encoding.EncodeExtension(X509Encoding.CertificatePolicies(profile.PolicyOid)));
            LeadingExtensions = [.. extensions];
        }

        /// <summary>The DER RDNs after the CN: OU=kind, O=JPKI Sandbox, C=JP.</summary>
        public byte[][] SubjectSuffix { get; }

        /// <summary>DER Extensions: basicConstraints, keyUsage, extKeyUsage (auth kinds), certificatePolicies.</summary>
        public byte[][] LeadingExtensions { get; }
    }
}
