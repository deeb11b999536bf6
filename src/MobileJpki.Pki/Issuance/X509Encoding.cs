using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Pki;

/// <summary>The few X.509 structures the BCL has no type for: certificate policies and reading CRL distribution points.</summary>
internal static class X509Encoding
{
    public const string CertificatePoliciesOid = "2.5.29.32";
    public const string CrlDistributionPointsOid = "2.5.29.31";
    public const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

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

    /// <summary>Policy OIDs of a certificatePolicies value; null when it is malformed.</summary>
    public static List<string>? ReadPolicies(ReadOnlyMemory<byte> value)
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
            }

            return result;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>URIs of the fullName distribution points; null when malformed or using forms we never issue.</summary>
    public static List<string>? ReadCrlDistributionUris(ReadOnlyMemory<byte> value)
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
                var name = point.ReadSequence(Context0);
                var fullName = name.ReadSequence(Context0);
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

    /// <summary>Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }.</summary>
    public static byte[] AssembleCertificate(ReadOnlySpan<byte> tbs, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(tbs);
            writer.WriteEncodedValue(Sha256WithRsaAlgorithmIdentifier);
            writer.WriteBitString(signature);
        }

        return writer.Encode();
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

/// <summary>Captures the to-be-signed bytes instead of signing them, so the lint copy costs no CA key operation.</summary>
/// <remarks>One instance per certificate: it holds the captured TBS.</remarks>
internal sealed class TbsCapturingGenerator : X509SignatureGenerator
{
    /// <summary>The size of a real RSA-2048 signature, so the lint copy has the final certificate's shape.</summary>
    private const int PlaceholderSignatureLength = 256;

    public byte[]? Tbs { get; private set; }

    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
    {
        if (hashAlgorithm != HashAlgorithmName.SHA256)
        {
            throw new CryptographicException($"Only SHA-256 is issued, not {hashAlgorithm.Name}.");
        }

        return (byte[])X509Encoding.Sha256WithRsaAlgorithmIdentifier.Clone();
    }

    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm)
    {
        if (Tbs is not null)
        {
            throw new InvalidOperationException("A capturing generator is for one certificate only.");
        }

        Tbs = (byte[])data.Clone();
        return new byte[PlaceholderSignatureLength];
    }

    protected override PublicKey BuildPublicKey() =>
        throw new NotSupportedException("The capturing generator cannot self-sign.");
}
