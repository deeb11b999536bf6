using System.Formats.Asn1;
using System.Security.Cryptography;

namespace MobileJpki.Core;

/// <summary>
/// The fields of an X.509 certificate that signature and policy checks need, read straight from its DER with
/// <see cref="AsnReader"/>. Parsing costs a few microseconds, against ~150 µs for an <c>X509Certificate2</c>.
/// </summary>
/// <remarks>
/// Only the structure is checked here (RFC 5280 §4.1 shape, DER, no duplicate extensions); nothing is trusted.
/// Every span points into <see cref="Der"/>, which the instance owns and never changes.
/// </remarks>
public sealed class DerCertificate
{
    public const string BasicConstraintsOid = "2.5.29.19";
    public const string SubjectKeyIdentifierOid = "2.5.29.14";
    public const string CertificatePoliciesOid = "2.5.29.32";
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const string EcPublicKeyOid = "1.2.840.10045.2.1";

    private const string SerialNumberAttributeOid = "2.5.4.5";
    private static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag IssuerUniqueIdTag = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag SubjectUniqueIdTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);

    private readonly (string Oid, bool Critical, ReadOnlyMemory<byte> Value)[] _extensions;

    private DerCertificate(
        byte[] der,
        ReadOnlyMemory<byte> tbs,
        ReadOnlyMemory<byte> signatureAlgorithm,
        ReadOnlyMemory<byte> innerSignatureAlgorithm,
        byte[] signature,
        ReadOnlyMemory<byte> serialNumber,
        ReadOnlyMemory<byte> issuer,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        ReadOnlyMemory<byte> subject,
        ReadOnlyMemory<byte> subjectPublicKeyInfo,
        (string, bool, ReadOnlyMemory<byte>)[] extensions)
    {
        Der = der;
        Tbs = tbs;
        SignatureAlgorithm = signatureAlgorithm;
        InnerSignatureAlgorithm = innerSignatureAlgorithm;
        Signature = signature;
        SerialNumber = serialNumber;
        Issuer = issuer;
        NotBefore = notBefore;
        NotAfter = notAfter;
        Subject = subject;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        _extensions = extensions;
    }

    /// <summary>The whole certificate.</summary>
    public byte[] Der { get; }

    /// <summary>The encoded TBSCertificate: the bytes the issuer signed.</summary>
    public ReadOnlyMemory<byte> Tbs { get; }

    /// <summary>The encoded AlgorithmIdentifier outside the TBS.</summary>
    public ReadOnlyMemory<byte> SignatureAlgorithm { get; }

    /// <summary>The encoded AlgorithmIdentifier inside the TBS.</summary>
    public ReadOnlyMemory<byte> InnerSignatureAlgorithm { get; }

    public byte[] Signature { get; }

    /// <summary>The contents of the serialNumber INTEGER (big-endian, as encoded).</summary>
    public ReadOnlyMemory<byte> SerialNumber { get; }

    /// <summary>The encoded issuer Name.</summary>
    public ReadOnlyMemory<byte> Issuer { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>The encoded subject Name.</summary>
    public ReadOnlyMemory<byte> Subject { get; }

    /// <summary>The encoded SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>The serial number as <c>X509Certificate2.SerialNumber</c> shows it, in lower case.</summary>
    public string SerialNumberHex => Convert.ToHexStringLower(SerialNumber.Span);

    /// <summary>Parses a DER certificate; false (never throws) on anything malformed. The array is kept, not copied.</summary>
    public static bool TryParse(byte[] der, out DerCertificate? certificate)
    {
        certificate = null;
        if (der is null || der.Length == 0)
        {
            return false;
        }

        try
        {
            var memory = der.AsMemory();
            var outer = new AsnReader(memory, AsnEncodingRules.DER);
            var cert = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbs = cert.ReadEncodedValue();
            var algorithm = cert.ReadEncodedValue();
            var signature = cert.ReadBitString(out var unusedBits);
            cert.ThrowIfNotEmpty();
            if (unusedBits != 0)
            {
                return false;
            }

            var tbsReader = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
            if (tbsReader.PeekTag().HasSameClassAndValue(VersionTag))
            {
                var version = tbsReader.ReadSequence(VersionTag);
                if (!version.TryReadInt32(out var v) || v is < 0 or > 2)
                {
                    return false;
                }

                version.ThrowIfNotEmpty();
            }

            var serial = tbsReader.ReadIntegerBytes();
            var innerAlgorithm = tbsReader.ReadEncodedValue();
            var issuer = ReadName(tbsReader);
            var validity = tbsReader.ReadSequence();
            var notBefore = ReadTime(validity);
            var notAfter = ReadTime(validity);
            validity.ThrowIfNotEmpty();
            var subject = ReadName(tbsReader);
            var spki = tbsReader.ReadEncodedValue();
            var spkiReader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            spkiReader.ReadSequence();
            spkiReader.ReadBitString(out _);
            spkiReader.ThrowIfNotEmpty();
            if (tbsReader.HasData && tbsReader.PeekTag().HasSameClassAndValue(IssuerUniqueIdTag))
            {
                tbsReader.ReadBitString(out _, IssuerUniqueIdTag);
            }

            if (tbsReader.HasData && tbsReader.PeekTag().HasSameClassAndValue(SubjectUniqueIdTag))
            {
                tbsReader.ReadBitString(out _, SubjectUniqueIdTag);
            }

            var extensions = new List<(string, bool, ReadOnlyMemory<byte>)>();
            if (tbsReader.HasData)
            {
                var wrapper = tbsReader.ReadSequence(ExtensionsTag);
                var list = wrapper.ReadSequence();
                wrapper.ThrowIfNotEmpty();
                while (list.HasData)
                {
                    var extension = list.ReadSequence();
                    var oid = extension.ReadObjectIdentifier();
                    var critical = extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                    var value = extension.ReadOctetString();
                    extension.ThrowIfNotEmpty();
                    foreach (var (seen, _, _) in extensions)
                    {
                        if (seen == oid)
                        {
                            // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
                            return false;
                        }
                    }

                    extensions.Add((oid, critical, value));
                }
            }

            tbsReader.ThrowIfNotEmpty();
            certificate = new DerCertificate(der, tbs, algorithm, innerAlgorithm, signature, serial, issuer, notBefore, notAfter, subject, spki, [.. extensions]);
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The value (the OCTET STRING's contents) of an extension; false when absent.</summary>
    public bool TryGetExtension(string oid, out ReadOnlyMemory<byte> value)
    {
        foreach (var (o, _, v) in _extensions)
        {
            if (o == oid)
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>True when basicConstraints is present and says cA (as <c>X509BasicConstraintsExtension.CertificateAuthority</c>).</summary>
    public bool IsCertificateAuthority
    {
        get
        {
            if (!TryGetExtension(BasicConstraintsOid, out var value))
            {
                return false;
            }

            try
            {
                var reader = new AsnReader(value, AsnEncodingRules.DER);
                var seq = reader.ReadSequence();
                reader.ThrowIfNotEmpty();
                return seq.HasData && seq.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && seq.ReadBoolean();
            }
            catch (AsnContentException)
            {
                return false;
            }
        }
    }

    /// <summary>True when the certificatePolicies extension lists <paramref name="policyOid"/>.</summary>
    public bool HasPolicy(string policyOid)
    {
        if (!TryGetExtension(CertificatePoliciesOid, out var value))
        {
            return false;
        }

        try
        {
            var seq = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
            while (seq.HasData)
            {
                if (seq.ReadSequence().ReadObjectIdentifier() == policyOid)
                {
                    return true;
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension carries no policy of ours.
        }

        return false;
    }

    /// <summary>The subjectKeyIdentifier's key id, or empty when absent or malformed.</summary>
    public ReadOnlyMemory<byte> SubjectKeyIdentifier
    {
        get
        {
            if (!TryGetExtension(SubjectKeyIdentifierOid, out var value))
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            try
            {
                var reader = new AsnReader(value, AsnEncodingRules.DER);
                var id = reader.ReadOctetString();
                reader.ThrowIfNotEmpty();
                return id;
            }
            catch (AsnContentException)
            {
                return ReadOnlyMemory<byte>.Empty;
            }
        }
    }

    /// <summary>The value of the first single-valued serialNumber (2.5.4.5) RDN of the subject, or null (absent or unreadable).</summary>
    public string? SubjectSerialNumberAttribute() => TryReadSubjectSerialNumberAttribute(out var value) ? value : null;

    /// <summary>
    /// The value of the first single-valued serialNumber (2.5.4.5) RDN of the subject: true with null when there is none,
    /// false when the subject cannot be read or that value is not a character string .NET can decode.
    /// </summary>
    public bool TryReadSubjectSerialNumberAttribute(out string? value)
    {
        value = null;
        try
        {
            var name = new AsnReader(Subject, AsnEncodingRules.DER).ReadSequence();
            while (name.HasData)
            {
                var rdn = name.ReadSetOf();
                var atv = rdn.ReadSequence();
                if (rdn.HasData)
                {
                    continue;
                }

                if (atv.ReadObjectIdentifier() != SerialNumberAttributeOid)
                {
                    continue;
                }

                var tag = atv.PeekTag();
                if (tag.TagClass != TagClass.Universal || !IsStringTag((UniversalTagNumber)tag.TagValue))
                {
                    return false;
                }

                value = atv.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                return true;
            }
        }
        catch (AsnContentException)
        {
            return false;
        }

        return true;
    }

    /// <summary>Imports the subject public key (RSA or EC); null when it is neither or cannot be imported.</summary>
    public AsymmetricAlgorithm? ImportPublicKey()
    {
        string oid;
        try
        {
            var spki = new AsnReader(SubjectPublicKeyInfo, AsnEncodingRules.DER).ReadSequence();
            oid = spki.ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return null;
        }

        AsymmetricAlgorithm? key = oid switch
        {
            RsaEncryptionOid => RSA.Create(),
            EcPublicKeyOid => ECDsa.Create(),
            _ => null,
        };
        if (key is null)
        {
            return null;
        }

        try
        {
            key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo.Span, out var read);
            if (read != SubjectPublicKeyInfo.Length)
            {
                key.Dispose();
                return null;
            }

            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Checks this certificate's signature with the issuer's key: the algorithm inside and outside the TBS must be the
    /// same, and one of sha{256,384,512}WithRSAEncryption (PKCS#1 v1.5) or ecdsa-with-SHA{256,384,512}.
    /// </summary>
    public bool IsSignedBy(AsymmetricAlgorithm? issuerKey)
    {
        if (issuerKey is null || !SignatureAlgorithm.Span.SequenceEqual(InnerSignatureAlgorithm.Span))
        {
            return false;
        }

        return VerifySignature(issuerKey, SignatureAlgorithm, Tbs.Span, Signature);
    }

    /// <summary>Verifies an X.509-style signature (AlgorithmIdentifier, signed bytes, signature value) with a public key.</summary>
    public static bool VerifySignature(AsymmetricAlgorithm key, ReadOnlyMemory<byte> algorithmIdentifier, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        string oid;
        try
        {
            var seq = new AsnReader(algorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
            oid = seq.ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return false;
        }

        (HashAlgorithmName Hash, bool Rsa)? scheme = oid switch
        {
            "1.2.840.113549.1.1.11" => (HashAlgorithmName.SHA256, true),
            "1.2.840.113549.1.1.12" => (HashAlgorithmName.SHA384, true),
            "1.2.840.113549.1.1.13" => (HashAlgorithmName.SHA512, true),
            "1.2.840.10045.4.3.2" => (HashAlgorithmName.SHA256, false),
            "1.2.840.10045.4.3.3" => (HashAlgorithmName.SHA384, false),
            "1.2.840.10045.4.3.4" => (HashAlgorithmName.SHA512, false),
            _ => null,
        };
        if (scheme is null)
        {
            return false;
        }

        try
        {
            return scheme.Value.Rsa
                ? key is RSA rsa && rsa.VerifyData(data, signature, scheme.Value.Hash, RSASignaturePadding.Pkcs1)
                : key is ECDsa ec && ec.VerifyData(data, signature, scheme.Value.Hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static ReadOnlyMemory<byte> ReadName(AsnReader reader)
    {
        var name = reader.ReadEncodedValue();
        var check = new AsnReader(name, AsnEncodingRules.DER);
        check.ReadSequence();
        check.ThrowIfNotEmpty();
        return name;
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    // The string types AsnReader.ReadCharacterString decodes. UniversalString is not one of them: asked for it, the reader
    // throws ArgumentOutOfRangeException (a 500 before), so such a value is unreadable, not an exception.
    private static bool IsStringTag(UniversalTagNumber tag) => tag is UniversalTagNumber.PrintableString or UniversalTagNumber.UTF8String
        or UniversalTagNumber.IA5String or UniversalTagNumber.BMPString or UniversalTagNumber.T61String
        or UniversalTagNumber.NumericString or UniversalTagNumber.VisibleString;
}
