using System.Formats.Asn1;
using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>
/// The parts of a CMS SignedData (RFC 5652) with one signer that the RA needs, read with <see cref="AsnReader"/>,
/// and the signer's signature check of §5.4 done by hand: no <c>X509Certificate2</c>, and the signer's public key
/// can be one the caller has already imported.
/// </summary>
/// <remarks>
/// Only sha256WithRSAEncryption (PKCS#1 v1.5, signatureAlgorithm rsaEncryption or sha256WithRSAEncryption with
/// SHA-256 as digestAlgorithm) is accepted: that is what a My Number Card produces.
/// </remarks>
public sealed class CmsSignedApplication
{
    public const string SignedDataOid = "1.2.840.113549.1.7.2";
    public const string DataOid = "1.2.840.113549.1.7.1";
    public const string ContentTypeAttributeOid = "1.2.840.113549.1.9.3";
    public const string MessageDigestAttributeOid = "1.2.840.113549.1.9.4";
    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";

    private static readonly Asn1Tag Explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Implicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Implicit1 = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag SubjectKeyIdTag = new(TagClass.ContextSpecific, 0);

    private CmsSignedApplication()
    {
    }

    /// <summary>The eContentType of the encapsulated content.</summary>
    public string ContentType { get; private init; } = string.Empty;

    /// <summary>The encapsulated content's octets; null when detached.</summary>
    public byte[]? Content { get; private init; }

    /// <summary>The DER of each X.509 certificate in the certificates field (other choices skipped).</summary>
    public IReadOnlyList<byte[]> Certificates { get; private init; } = [];

    public int SignerCount { get; private init; }

    /// <summary>The signer's issuer Name and serial number contents, when it is identified that way.</summary>
    public (ReadOnlyMemory<byte> Issuer, ReadOnlyMemory<byte> Serial)? SignerIssuerAndSerial { get; private init; }

    /// <summary>The signer's subjectKeyIdentifier, when it is identified that way.</summary>
    public ReadOnlyMemory<byte>? SignerKeyIdentifier { get; private init; }

    /// <summary>Whether the SignerInfo has signed attributes (then the signature covers them, not the content).</summary>
    public bool SignedAttributesPresent => SignedAttributes is not null;

    internal ReadOnlyMemory<byte> DigestAlgorithm { get; private init; }

    internal ReadOnlyMemory<byte>? SignedAttributes { get; private init; }

    internal ReadOnlyMemory<byte> SignatureAlgorithm { get; private init; }

    internal byte[] Signature { get; private init; } = [];

    /// <summary>Reads ContentInfo { id-signedData, SignedData }; false (never throws) when malformed. BER is accepted, as SignedCms does.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> cms, out CmsSignedApplication? application)
    {
        application = null;
        try
        {
            var outer = new AsnReader(cms, AsnEncodingRules.BER);
            var contentInfo = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (contentInfo.ReadObjectIdentifier() != SignedDataOid)
            {
                return false;
            }

            var wrapper = contentInfo.ReadSequence(Explicit0);
            contentInfo.ThrowIfNotEmpty();
            var signedData = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();

            signedData.ReadInteger(); // version
            signedData.ReadSetOf(skipSortOrderValidation: true); // digestAlgorithms

            var encap = signedData.ReadSequence();
            var contentType = encap.ReadObjectIdentifier();
            byte[]? content = null;
            if (encap.HasData)
            {
                var eContent = encap.ReadSequence(Explicit0);
                content = eContent.ReadOctetString();
                eContent.ThrowIfNotEmpty();
            }

            encap.ThrowIfNotEmpty();

            var certificates = new List<byte[]>();
            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Implicit0))
            {
                var set = signedData.ReadSetOf(true, Implicit0);
                while (set.HasData)
                {
                    var choice = set.ReadEncodedValue();
                    if (new AsnReader(choice, AsnEncodingRules.BER).PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
                    {
                        certificates.Add(choice.ToArray());
                    }
                }
            }

            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Implicit1))
            {
                signedData.ReadEncodedValue(); // crls
            }

            var signerInfos = signedData.ReadSetOf(skipSortOrderValidation: true);
            signedData.ThrowIfNotEmpty();
            var first = signerInfos.ReadSequence();
            var count = 1;
            while (signerInfos.HasData)
            {
                signerInfos.ReadEncodedValue();
                count++;
            }

            first.ReadInteger(); // version
            (ReadOnlyMemory<byte>, ReadOnlyMemory<byte>)? issuerAndSerial = null;
            ReadOnlyMemory<byte>? keyId = null;
            if (first.PeekTag().HasSameClassAndValue(SubjectKeyIdTag))
            {
                keyId = first.ReadOctetString(SubjectKeyIdTag);
            }
            else
            {
                var sid = first.ReadSequence();
                var issuer = sid.ReadEncodedValue();
                var serial = sid.ReadIntegerBytes();
                sid.ThrowIfNotEmpty();
                issuerAndSerial = (issuer, serial);
            }

            var digestAlgorithm = first.ReadEncodedValue();
            ReadOnlyMemory<byte>? signedAttributes = null;
            if (first.PeekTag().HasSameClassAndValue(Implicit0))
            {
                signedAttributes = first.ReadEncodedValue();
            }

            var signatureAlgorithm = first.ReadEncodedValue();
            var signature = first.ReadOctetString();
            if (first.HasData)
            {
                first.ReadEncodedValue(); // unsignedAttrs [1]
            }

            first.ThrowIfNotEmpty();
            application = new CmsSignedApplication
            {
                ContentType = contentType,
                Content = content,
                Certificates = certificates,
                SignerCount = count,
                SignerIssuerAndSerial = issuerAndSerial,
                SignerKeyIdentifier = keyId,
                DigestAlgorithm = digestAlgorithm,
                SignedAttributes = signedAttributes,
                SignatureAlgorithm = signatureAlgorithm,
                Signature = signature,
            };
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

    /// <summary>The certificate the SignerInfo's sid names, parsed; null when the message does not carry it.</summary>
    public DerCertificate? FindSignerCertificate()
    {
        foreach (var der in Certificates)
        {
            if (!DerCertificate.TryParse(der, out var cert) || cert is null)
            {
                continue;
            }

            if (SignerIssuerAndSerial is { } ias
                ? ias.Issuer.Span.SequenceEqual(cert.Issuer.Span) && ias.Serial.Span.SequenceEqual(cert.SerialNumber.Span)
                : SignerKeyIdentifier is { } ski && !cert.SubjectKeyIdentifier.IsEmpty && ski.Span.SequenceEqual(cert.SubjectKeyIdentifier.Span))
            {
                return cert;
            }
        }

        return null;
    }

    /// <summary>
    /// RFC 5652 §5.4 for sha256WithRSAEncryption: with signed attributes, their content-type must be the eContentType and
    /// their message-digest the SHA-256 of the content, and the signature covers the DER SET OF attributes; without
    /// them, it covers the content itself. False for any other algorithm.
    /// </summary>
    public bool VerifySignature(RSA signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        if (Content is null || !IsAlgorithm(DigestAlgorithm, Sha256Oid) || !(IsAlgorithm(SignatureAlgorithm, RsaEncryptionOid) || IsAlgorithm(SignatureAlgorithm, Sha256WithRsaOid)))
        {
            return false;
        }

        try
        {
            if (SignedAttributes is not { } attributes)
            {
                return signerKey.VerifyData(Content, Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }

            if (!SignedAttributesMatch(attributes))
            {
                return false;
            }

            // The signature is over the attributes' DER with the SET OF tag in place of [0] IMPLICIT.
            var signedBytes = attributes.ToArray();
            signedBytes[0] = 0x31;
            return signerKey.VerifyData(signedBytes, Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private bool SignedAttributesMatch(ReadOnlyMemory<byte> attributes)
    {
        try
        {
            var reader = new AsnReader(attributes, AsnEncodingRules.DER);
            var set = reader.ReadSetOf(Implicit0);
            reader.ThrowIfNotEmpty();
            var sawContentType = false;
            var sawDigest = false;
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(Content, digest);
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                attribute.ThrowIfNotEmpty();
                if (type == ContentTypeAttributeOid)
                {
                    var value = values.ReadObjectIdentifier();
                    if (sawContentType || values.HasData || value != ContentType)
                    {
                        return false;
                    }

                    sawContentType = true;
                }
                else if (type == MessageDigestAttributeOid)
                {
                    var value = values.ReadOctetString();
                    if (sawDigest || values.HasData || !CryptographicOperations.FixedTimeEquals(value, digest))
                    {
                        return false;
                    }

                    sawDigest = true;
                }
            }

            return sawContentType && sawDigest;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>An AlgorithmIdentifier with this OID and NULL or absent parameters.</summary>
    private static bool IsAlgorithm(ReadOnlyMemory<byte> algorithmIdentifier, string oid)
    {
        try
        {
            var reader = new AsnReader(algorithmIdentifier, AsnEncodingRules.BER);
            var seq = reader.ReadSequence();
            if (seq.ReadObjectIdentifier() != oid)
            {
                return false;
            }

            if (seq.HasData)
            {
                seq.ReadNull();
            }

            seq.ThrowIfNotEmpty();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
