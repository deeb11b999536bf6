using System.Formats.Asn1;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>The CertID hash algorithms we answer for: SHA-1 (RFC 5019 §2.1.1) and SHA-256.</summary>
public enum OcspHashAlgorithm
{
    /// <summary>Any other algorithm: the request cannot name one of our CAs.</summary>
    Unsupported = 0,
    Sha1 = 1,
    Sha256 = 2,
}

/// <summary>One request's CertID, and its exact DER (echoed in the SingleResponse).</summary>
public sealed record OcspCertId(
    ReadOnlyMemory<byte> Encoded,
    OcspHashAlgorithm Algorithm,
    ReadOnlyMemory<byte> IssuerNameHash,
    ReadOnlyMemory<byte> IssuerKeyHash,
    string? SerialHex);

/// <summary>A parsed OCSPRequest: 1 to <see cref="OcspRequestParser.MaxCertIds"/> CertIDs and the nonce extension, if any.</summary>
public sealed record OcspRequest(IReadOnlyList<OcspCertId> CertIds, ReadOnlyMemory<byte>? NonceExtension);

/// <summary>
/// Parses a DER OCSPRequest (RFC 6960 §4.1.1) within fixed bounds. Returns null for anything malformed, oversized or
/// with trailing data (the responder answers malformedRequest); never throws for input.
/// </summary>
/// <remarks>
/// A request signature (optionalSignature) and requestorName are accepted and ignored: we answer anyone. Unknown
/// non-critical extensions are ignored; a critical one we do not know is malformed.
/// </remarks>
public static class OcspRequestParser
{
    /// <summary>A request with a few CertIDs and a nonce is under 500 bytes; 2 KiB leaves room for a signature.</summary>
    public const int MaxRequestBytes = 2048;

    public const int MaxCertIds = 8;

    /// <summary>RFC 8954 §2.1: a nonce of 1 to 32 octets (plus its OCTET STRING header inside extnValue).</summary>
    public const int MaxNonceExtensionValueBytes = 34;

    public const string NonceOid = "1.3.6.1.5.5.7.48.1.2";

    /// <summary>RFC 5280 §4.1.2.2: at most 20 octets.</summary>
    private const int MaxSerialBytes = 20;

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag Context2 = new(TagClass.ContextSpecific, 2, isConstructed: true);

    public static OcspRequest? TryParse(ReadOnlyMemory<byte> der)
    {
        if (der.IsEmpty || der.Length > MaxRequestBytes)
        {
            return null;
        }

        try
        {
            return Parse(der);
        }
        catch (AsnContentException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static OcspRequest? Parse(ReadOnlyMemory<byte> der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var request = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        var tbs = request.ReadSequence();
        if (request.HasData)
        {
            // optionalSignature [0] EXPLICIT Signature: not required, not checked.
            request.ReadSequence(Context0);
        }

        if (request.HasData)
        {
            return null;
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Context0))
        {
            // version [0] EXPLICIT DEFAULT v1: only v1 exists.
            var version = tbs.ReadSequence(Context0);
            if (!version.TryReadInt32(out var v) || v != 0)
            {
                return null;
            }

            version.ThrowIfNotEmpty();
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Context1))
        {
            tbs.ReadEncodedValue(); // requestorName
        }

        var list = tbs.ReadSequence();
        var certIds = new List<OcspCertId>(1);
        while (list.HasData)
        {
            if (certIds.Count == MaxCertIds)
            {
                return null;
            }

            var single = list.ReadSequence();
            var certId = ReadCertId(single);
            if (certId is null)
            {
                return null;
            }

            if (single.HasData)
            {
                single.ReadSequence(Context0); // singleRequestExtensions: none that we act on
            }

            single.ThrowIfNotEmpty();
            certIds.Add(certId);
        }

        if (certIds.Count == 0)
        {
            return null;
        }

        ReadOnlyMemory<byte>? nonce = null;
        if (tbs.HasData)
        {
            var wrapper = tbs.ReadSequence(Context2);
            var extensions = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();
            while (extensions.HasData)
            {
                var encoded = extensions.PeekEncodedValue();
                var extension = extensions.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                var critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                if (!extension.TryReadPrimitiveOctetString(out var value))
                {
                    return null;
                }

                extension.ThrowIfNotEmpty();
                if (oid == NonceOid)
                {
                    if (nonce is not null || value.Length is 0 or > MaxNonceExtensionValueBytes)
                    {
                        return null;
                    }

                    nonce = encoded;
                }
                else if (critical)
                {
                    return null;
                }
            }
        }

        tbs.ThrowIfNotEmpty();
        return new OcspRequest(certIds, nonce);
    }

    private static OcspCertId? ReadCertId(AsnReader single)
    {
        var encoded = single.PeekEncodedValue();
        var certId = single.ReadSequence();
        var algorithm = certId.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData)
        {
            algorithm.ReadNull();
        }

        algorithm.ThrowIfNotEmpty();
        if (!certId.TryReadPrimitiveOctetString(out var nameHash) || !certId.TryReadPrimitiveOctetString(out var keyHash))
        {
            return null;
        }

        var serial = certId.ReadIntegerBytes();
        certId.ThrowIfNotEmpty();
        if (serial.Length > MaxSerialBytes + 1)
        {
            return null;
        }

        var hash = oid switch
        {
            Der.Sha1Oid => OcspHashAlgorithm.Sha1,
            Der.Sha256Oid => OcspHashAlgorithm.Sha256,
            _ => OcspHashAlgorithm.Unsupported,
        };
        return new OcspCertId(encoded, hash, nameHash, keyHash, SerialHex(serial.Span));
    }

    /// <summary>The serial as stored (lowercase hex of the positive value), or null for a negative or zero serial, which we never issue.</summary>
    private static string? SerialHex(ReadOnlySpan<byte> integer)
    {
        if ((integer[0] & 0x80) != 0)
        {
            return null;
        }

        // DER pads a positive value whose top bit is set with one 0x00; the stored hex has no pad.
        var magnitude = integer[0] == 0 ? integer[1..] : integer;
        return magnitude.IsEmpty || magnitude.Length > MaxSerialBytes ? null : Convert.ToHexStringLower(magnitude);
    }
}
