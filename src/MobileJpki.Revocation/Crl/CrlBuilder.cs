using System.Formats.Asn1;

namespace MobileJpki.Revocation.Crl;

/// <summary>
/// Writes an X.509 v2 CRL (RFC 5280 §5) with AsnWriter: issuer, thisUpdate/nextUpdate, one entry per revoked
/// certificate with its reasonCode entry extension (left out for unspecified), authorityKeyIdentifier and cRLNumber;
/// signed sha256WithRSA by the CA. One pass over the entries and one RSA signature (≈0.2–0.4 s for 1,000,000 entries,
/// docs/benchmarks.md).
/// </summary>
public static class CrlBuilder
{
    public const string AuthorityKeyIdentifierOid = "2.5.29.35";
    public const string CrlNumberOid = "2.5.29.20";
    public const string ReasonCodeOid = "2.5.29.21";
    public const string IssuingDistributionPointOid = "2.5.29.28";

    /// <summary>About the DER size of one entry with a reason (serial 16 bytes, UTCTime, reasonCode).</summary>
    private const int BytesPerEntry = 52;

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>crlEntryExtensions per reason code, encoded once (index: the code; null for unspecified).</summary>
    private static readonly byte[]?[] EntryExtensions = BuildEntryExtensions();

    /// <summary>Builds and signs the CRL. <paramref name="entries"/> serials are lowercase hex of positive values (as stored).</summary>
    /// <param name="partitionUrl">
    /// For a partition CRL, its URL: written as a critical issuingDistributionPoint (RFC 5280 §5.2.5) naming it, with
    /// onlyContainsUserCerts, so that the partition only stands for the certificates whose CRL distribution point
    /// names the same URL. Null for the complete CRL of the CA.
    /// </param>
    /// <exception cref="FormatException">A serial that is not 1 to 20 bytes of hex (a corrupt row): a CRL must not silently leave one out.</exception>
    public static byte[] Build(RevocationIssuer issuer, IReadOnlyList<RevokedEntry> entries, long crlNumber, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, string? partitionUrl = null)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(crlNumber);

        var tbs = new AsnWriter(AsnEncodingRules.DER, 1024 + (entries.Count * BytesPerEntry));
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(1); // v2
            tbs.WriteEncodedValue(Der.Sha256WithRsa);
            tbs.WriteEncodedValue(issuer.Name);
            Der.WriteTime(tbs, Der.ToSeconds(thisUpdate));
            Der.WriteTime(tbs, Der.ToSeconds(nextUpdate));
            if (entries.Count > 0)
            {
                // RFC 5280 §5.1.2.6: absent, not empty, when nothing is revoked.
                using (tbs.PushSequence())
                {
                    Span<byte> serial = stackalloc byte[20];
                    for (var i = 0; i < entries.Count; i++)
                    {
                        WriteEntry(tbs, entries[i], serial);
                    }
                }
            }

            using (tbs.PushSequence(Context0))
            using (tbs.PushSequence())
            {
                using (tbs.PushSequence())
                {
                    tbs.WriteObjectIdentifier(AuthorityKeyIdentifierOid);
                    using (tbs.PushOctetString())
                    using (tbs.PushSequence())
                    {
                        tbs.WriteOctetString(issuer.KeyIdentifier, new Asn1Tag(TagClass.ContextSpecific, 0));
                    }
                }

                using (tbs.PushSequence())
                {
                    tbs.WriteObjectIdentifier(CrlNumberOid);
                    using (tbs.PushOctetString())
                    {
                        tbs.WriteInteger(crlNumber);
                    }
                }

                if (partitionUrl is not null)
                {
                    WriteIssuingDistributionPoint(tbs, partitionUrl);
                }
            }
        }

        // Sign the TBS in place and assemble the CertificateList around it: one copy of the (large) TBS, no more.
        return tbs.Encode(issuer, static (issuer, tbsDer) => Assemble(tbsDer, issuer.Sign(tbsDer)));
    }

    /// <summary>IssuingDistributionPoint { distributionPoint [0] { fullName [0] { URI [6] } }, onlyContainsUserCerts [1] TRUE }, critical.</summary>
    private static void WriteIssuingDistributionPoint(AsnWriter tbs, string url)
    {
        using (tbs.PushSequence())
        {
            tbs.WriteObjectIdentifier(IssuingDistributionPointOid);
            tbs.WriteBoolean(true);
            using (tbs.PushOctetString())
            using (tbs.PushSequence())
            {
                using (tbs.PushSequence(Context0))
                using (tbs.PushSequence(Context0))
                {
                    tbs.WriteCharacterString(UniversalTagNumber.IA5String, url, new Asn1Tag(TagClass.ContextSpecific, 6));
                }

                tbs.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 1));
            }
        }
    }

    /// <summary>CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }.</summary>
    private static byte[] Assemble(ReadOnlySpan<byte> tbs, byte[] signature)
    {
        var bitString = new AsnWriter(AsnEncodingRules.DER, signature.Length + 8);
        bitString.WriteBitString(signature);
        var tail = new byte[Der.Sha256WithRsa.Length + bitString.GetEncodedLength()];
        Der.Sha256WithRsa.CopyTo(tail, 0);
        bitString.Encode(tail.AsSpan(Der.Sha256WithRsa.Length));

        var contentLength = tbs.Length + tail.Length;
        Span<byte> header = stackalloc byte[6];
        header[0] = 0x30;
        var headerLength = 1 + WriteLength(header[1..], contentLength);
        var crl = new byte[headerLength + contentLength];
        header[..headerLength].CopyTo(crl);
        tbs.CopyTo(crl.AsSpan(headerLength));
        tail.CopyTo(crl.AsSpan(headerLength + tbs.Length));
        return crl;
    }

    /// <summary>A DER definite length (short form below 128, else long form).</summary>
    private static int WriteLength(Span<byte> destination, int length)
    {
        if (length < 0x80)
        {
            destination[0] = (byte)length;
            return 1;
        }

        var bytes = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        destination[0] = (byte)(0x80 | bytes);
        for (var i = 0; i < bytes; i++)
        {
            destination[bytes - i] = (byte)(length >> (8 * i));
        }

        return 1 + bytes;
    }

    private static void WriteEntry(AsnWriter writer, in RevokedEntry entry, Span<byte> serial)
    {
        var hex = entry.SerialHex;
        if (hex is null || hex.Length == 0 || hex.Length > 40 || (hex.Length & 1) != 0
            || System.Buffers.OperationStatus.Done != Convert.FromHexString(hex, serial, out _, out var length))
        {
            throw new FormatException("A revoked certificate's serial is not 1 to 20 bytes of hex.");
        }

        var magnitude = serial[..length];
        while (magnitude.Length > 1 && magnitude[0] == 0)
        {
            magnitude = magnitude[1..];
        }

        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(magnitude);
            Der.WriteTime(writer, Der.ToSeconds(entry.RevokedAt));
            if (EntryExtensions[(int)CrlReasons.FromReason(entry.Reason)] is { } extensions)
            {
                writer.WriteEncodedValue(extensions);
            }
        }
    }

    private static byte[]?[] BuildEntryExtensions()
    {
        var table = new byte[]?[(int)CrlReason.AACompromise + 1];
        foreach (var reason in Enum.GetValues<CrlReason>())
        {
            if (reason == CrlReason.Unspecified)
            {
                continue;
            }

            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(ReasonCodeOid);
                using (writer.PushOctetString())
                {
                    writer.WriteEnumeratedValue(reason);
                }
            }

            table[(int)reason] = writer.Encode();
        }

        return table;
    }
}
