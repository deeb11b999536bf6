using System.Formats.Asn1;

namespace MobileJpki.Revocation;

/// <summary>The few DER pieces OCSP responses and CRLs share.</summary>
internal static class Der
{
    public const string Sha1Oid = "1.3.14.3.2.26";
    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    public const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";

    /// <summary>AlgorithmIdentifier { sha256WithRSAEncryption, NULL }.</summary>
    public static readonly byte[] Sha256WithRsa = BuildSha256WithRsa();

    /// <summary>Instants are written to the second (DER times carry no fraction here), in UTC.</summary>
    public static DateTimeOffset ToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050.</summary>
    public static void WriteTime(AsnWriter writer, DateTimeOffset value)
    {
        if (value.UtcDateTime.Year < 2050)
        {
            writer.WriteUtcTime(value);
        }
        else
        {
            writer.WriteGeneralizedTime(value, omitFractionalSeconds: true);
        }
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
