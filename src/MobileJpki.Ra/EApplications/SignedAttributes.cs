using System.Formats.Asn1;
using System.Security.Cryptography;

namespace MobileJpki.Ra;

/// <summary>
/// The two signed attributes an e-application needs beyond contentType and messageDigest (which
/// <see cref="CmsSignedApplication.VerifySignature"/> checks): signingTime (RFC 5652 §11.3) and signingCertificateV2
/// (RFC 5035), whose certHash binds the signature to the one certificate it was made with.
/// </summary>
internal static class SignedAttributes
{
    public const string SigningTimeOid = "1.2.840.113549.1.9.5";
    public const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";

    private static readonly Asn1Tag Implicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>
    /// Reads signingTime and whether signingCertificateV2's first ESSCertIDv2 hashes <paramref name="signerCertificate"/>
    /// with SHA-256. False (never throws) when either is missing, repeated or malformed.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> signedAttributes, ReadOnlySpan<byte> signerCertificate, out DateTimeOffset signingTime, out bool certificateMatches)
    {
        signingTime = default;
        certificateMatches = false;
        DateTimeOffset? time = null;
        bool? matches = null;
        try
        {
            var reader = new AsnReader(signedAttributes, AsnEncodingRules.DER);
            var set = reader.ReadSetOf(Implicit0);
            reader.ThrowIfNotEmpty();
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                attribute.ThrowIfNotEmpty();
                if (type == SigningTimeOid)
                {
                    if (time is not null)
                    {
                        return false;
                    }

                    time = values.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? values.ReadUtcTime() : values.ReadGeneralizedTime();
                    values.ThrowIfNotEmpty();
                }
                else if (type == SigningCertificateV2Oid)
                {
                    if (matches is not null)
                    {
                        return false;
                    }

                    matches = FirstCertHashMatches(values.ReadSequence(), signerCertificate);
                    values.ThrowIfNotEmpty();
                }
            }
        }
        catch (AsnContentException)
        {
            return false;
        }

        if (time is null || matches is null)
        {
            return false;
        }

        signingTime = time.Value;
        certificateMatches = matches.Value;
        return true;
    }

    private static bool FirstCertHashMatches(AsnReader signingCertificate, ReadOnlySpan<byte> certificate)
    {
        var certs = signingCertificate.ReadSequence();
        var first = certs.ReadSequence();
        if (first.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            // hashAlgorithm is DEFAULT sha256, so DER leaves it out; anything else named here is not ours.
            var algorithm = first.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != CmsSignedApplication.Sha256Oid)
            {
                return false;
            }
        }

        var hash = first.ReadOctetString();
        return CryptographicOperations.FixedTimeEquals(hash, SHA256.HashData(certificate));
    }
}
