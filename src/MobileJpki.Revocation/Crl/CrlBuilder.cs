using System.Formats.Asn1;

namespace MobileJpki.Revocation.Crl;

/// <summary>
/// Writes an X.509 v2 CRL (RFC 5280 §5) with AsnWriter: issuer, thisUpdate/nextUpdate, one entry per revoked
/// certificate with its reasonCode entry extension (left out for unspecified), authorityKeyIdentifier and cRLNumber;
/// signed sha256WithRSA by the CA. One pass over the entries and one RSA signature (≈0.5 s for 1,000,000 entries,
/// docs/benchmarks.md).
/// </summary>
public static class CrlBuilder
{
    public const string AuthorityKeyIdentifierOid = "2.5.29.35";
    public const string CrlNumberOid = "2.5.29.20";
    public const string ReasonCodeOid = "2.5.29.21";

    /// <summary>About the DER size of one entry with a reason (serial 16 bytes, UTCTime, reasonCode).</summary>
    private const int BytesPerEntry = 52;

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>crlEntryExtensions per reason code, encoded once (index: the code; null for unspecified).</summary>
    private static readonly byte[]?[] EntryExtensions = BuildEntryExtensions();

    /// <summary>Builds and signs the CRL. <paramref name="entries"/> serials are lowercase hex of positive values (as stored).</summary>
    /// <exception cref="FormatException">A serial that is not 1 to 20 bytes of hex (a corrupt row): a CRL must not silently leave one out.</exception>
    public static byte[] Build(RevocationIssuer issuer, IReadOnlyList<RevokedEntry> entries, long crlNumber, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
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
            }
        }

        var tbsDer = tbs.Encode();
        var signature = issuer.Sign(tbsDer);

        var crl = new AsnWriter(AsnEncodingRules.DER, tbsDer.Length + signature.Length + 64);
        using (crl.PushSequence())
        {
            crl.WriteEncodedValue(tbsDer);
            crl.WriteEncodedValue(Der.Sha256WithRsa);
            crl.WriteBitString(signature);
        }

        return crl.Encode();
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
