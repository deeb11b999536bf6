using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Pki;

/// <summary>The X.509 encodings the issuer writes itself: extensions, the algorithm identifier and the outer certificate.</summary>
internal static class X509Encoding
{
    public const string CertificatePoliciesOid = "2.5.29.32";
    public const string CrlDistributionPointsOid = "2.5.29.31";
    public const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";

    private const byte SequenceTag = 0x30;
    private const byte BitStringTag = 0x03;

    /// <summary>AlgorithmIdentifier { sha256WithRSAEncryption, NULL }, as in both the TBS and the outer certificate.</summary>
    public static readonly byte[] Sha256WithRsaAlgorithmIdentifier = BuildSha256WithRsa();

    public static X509Extension CertificatePolicies(string policyOid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(policyOid);
        }

        return new X509Extension(CertificatePoliciesOid, writer.Encode(), critical: false);
    }

    /// <summary>Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }, as DER.</summary>
    public static byte[] EncodeExtension(X509Extension extension)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(extension.Oid!.Value!);
            if (extension.Critical)
            {
                // DER omits a DEFAULT value, so only critical = TRUE is ever written.
                writer.WriteBoolean(true);
            }

            writer.WriteOctetString(extension.RawData);
        }

        return writer.Encode();
    }

    /// <summary>Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }.</summary>
    public static byte[] AssembleCertificate(ReadOnlySpan<byte> tbs, ReadOnlySpan<byte> signature)
    {
        var certificate = CertificateShell(tbs, signature.Length, out var signatureOffset);
        signature.CopyTo(certificate.AsSpan(signatureOffset));
        return certificate;
    }

    /// <summary>
    /// The certificate with its signature left as zeros at <paramref name="signatureOffset"/>, sized exactly, so the
    /// signer can write the signature in place (one allocation, one copy of the TBS).
    /// </summary>
    /// <param name="tbs">The DER TBSCertificate; it is copied as is (the caller built and linted it).</param>
    public static byte[] CertificateShell(ReadOnlySpan<byte> tbs, int signatureLength, out int signatureOffset)
    {
        // BIT STRING contents: the unused-bits count (0) then the signature.
        var bitStringContents = signatureLength + 1;
        var bitStringLength = 1 + LengthOfLength(bitStringContents) + bitStringContents;
        var contents = tbs.Length + Sha256WithRsaAlgorithmIdentifier.Length + bitStringLength;
        var certificate = new byte[1 + LengthOfLength(contents) + contents];

        var span = certificate.AsSpan();
        span[0] = SequenceTag;
        var offset = 1 + WriteLength(span[1..], contents);
        tbs.CopyTo(span[offset..]);
        offset += tbs.Length;
        Sha256WithRsaAlgorithmIdentifier.CopyTo(span[offset..]);
        offset += Sha256WithRsaAlgorithmIdentifier.Length;
        span[offset++] = BitStringTag;
        offset += WriteLength(span[offset..], bitStringContents);
        span[offset++] = 0;
        signatureOffset = offset;
        return certificate;
    }

    private static int LengthOfLength(int length) => length switch
    {
        < 0x80 => 1,
        <= 0xFF => 2,
        <= 0xFFFF => 3,
        <= 0xFFFFFF => 4,
        _ => 5,
    };

    /// <summary>DER definite length: short form below 128, else the minimal big-endian long form.</summary>
    private static int WriteLength(Span<byte> destination, int length)
    {
        var size = LengthOfLength(length);
        if (size == 1)
        {
            destination[0] = (byte)length;
            return 1;
        }

        destination[0] = (byte)(0x80 | (size - 1));
        for (var i = size - 1; i >= 1; i--)
        {
            destination[i] = (byte)length;
            length >>= 8;
        }

        return size;
    }

    private static byte[] BuildSha256WithRsa()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Sha256WithRsaOid);
            writer.WriteNull();
        }

        return writer.Encode();
    }
}
