using System.Formats.Asn1;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>RFC 6960 §4.2.1 OCSPResponseStatus.</summary>
public enum OcspResponseStatus
{
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

/// <summary>One SingleResponse to write: the request's CertID as received, the status (null: unknown) and its window.</summary>
internal readonly record struct SingleAnswer(ReadOnlyMemory<byte> CertId, CertificateStatusInfo? Status, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate);

/// <summary>Encodes OCSPResponse (RFC 6960 §4.2.1) and BasicOCSPResponse, signed by the CA's delegated responder.</summary>
/// <remarks>
/// RFC 6960 §4.2.2.2, second case: the responder certificate (issued by the CA, id-kp-OCSPSigning) is in
/// <c>certs</c> and the responderID is its key hash (byKey, RFC 5019 §2.2.3).
/// </remarks>
internal static class OcspResponseWriter
{
    public const string BasicResponseOid = "1.3.6.1.5.5.7.48.1.1";

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag Context2 = new(TagClass.ContextSpecific, 2, isConstructed: true);
    private static readonly Asn1Tag Good = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag Unknown = new(TagClass.ContextSpecific, 2);

    /// <summary>An unsuccessful OCSPResponse: just the status (no responseBytes, no signature).</summary>
    public static byte[] Error(OcspResponseStatus status)
    {
        if (status == OcspResponseStatus.Successful)
        {
            throw new ArgumentOutOfRangeException(nameof(status));
        }

        return [0x30, 0x03, 0x0A, 0x01, (byte)status];
    }

    /// <summary>A successful response signed by <paramref name="signer"/>; one RSA signature.</summary>
    public static byte[] Successful(OcspSigner signer, IReadOnlyList<SingleAnswer> answers, ReadOnlyMemory<byte>? nonceExtension, DateTimeOffset producedAt)
    {
        var tbs = ResponseData(signer, answers, nonceExtension, producedAt);
        var signature = signer.Sign(tbs);

        var basic = new AsnWriter(AsnEncodingRules.DER, tbs.Length + signature.Length + signer.CertificateDer.Length + 64);
        using (basic.PushSequence())
        {
            basic.WriteEncodedValue(tbs);
            basic.WriteEncodedValue(Der.Sha256WithRsa);
            basic.WriteBitString(signature);
            using (basic.PushSequence(Context0))
            using (basic.PushSequence())
            {
                basic.WriteEncodedValue(signer.CertificateDer);
            }
        }

        var writer = new AsnWriter(AsnEncodingRules.DER, basic.GetEncodedLength() + 32);
        using (writer.PushSequence())
        {
            writer.WriteEnumeratedValue(OcspResponseStatus.Successful);
            using (writer.PushSequence(Context0))
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(BasicResponseOid);
                using (writer.PushOctetString())
                {
                    writer.WriteEncodedValue(basic.Encode());
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>The CertID RFC 5019 clients send (SHA-1, NULL parameters) for a serial of <paramref name="issuer"/>: the one pre-signed responses carry.</summary>
    public static byte[] Sha1CertId(RevocationIssuer issuer, string serialHex)
    {
        var magnitude = Convert.FromHexString(serialHex);
        var writer = new AsnWriter(AsnEncodingRules.DER, 64);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Der.Sha1Oid);
                writer.WriteNull();
            }

            writer.WriteOctetString(issuer.NameHashSha1);
            writer.WriteOctetString(issuer.KeyHashSha1);
            writer.WriteIntegerUnsigned(magnitude.AsSpan().TrimStart((byte)0));
        }

        return writer.Encode();
    }

    private static byte[] ResponseData(OcspSigner signer, IReadOnlyList<SingleAnswer> answers, ReadOnlyMemory<byte>? nonceExtension, DateTimeOffset producedAt)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, 256 + (answers.Count * 160));
        using (writer.PushSequence())
        {
            // version v1 is the DEFAULT, so DER leaves it out. responderID byKey [2] EXPLICIT KeyHash (SHA-1 of the responder's key).
            using (writer.PushSequence(Context2))
            {
                writer.WriteOctetString(signer.KeyHashSha1);
            }

            writer.WriteGeneralizedTime(Der.ToSeconds(producedAt), omitFractionalSeconds: true);
            using (writer.PushSequence())
            {
                foreach (var answer in answers)
                {
                    WriteSingle(writer, answer);
                }
            }

            if (nonceExtension is { } nonce)
            {
                using (writer.PushSequence(Context1))
                using (writer.PushSequence())
                {
                    writer.WriteEncodedValue(nonce.Span);
                }
            }
        }

        return writer.Encode();
    }

    private static void WriteSingle(AsnWriter writer, SingleAnswer answer)
    {
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(answer.CertId.Span);
            switch (answer.Status)
            {
                case null:
                    writer.WriteNull(Unknown);
                    break;
                case { Revoked: false }:
                    writer.WriteNull(Good);
                    break;
                case { } revoked:
                    using (writer.PushSequence(Context1))
                    {
                        writer.WriteGeneralizedTime(Der.ToSeconds(revoked.RevokedAt), omitFractionalSeconds: true);
                        var reason = CrlReasons.FromReason(revoked.Reason);
                        if (reason != CrlReason.Unspecified)
                        {
                            using (writer.PushSequence(Context0))
                            {
                                writer.WriteEnumeratedValue(reason);
                            }
                        }
                    }

                    break;
            }

            writer.WriteGeneralizedTime(Der.ToSeconds(answer.ThisUpdate), omitFractionalSeconds: true);
            using (writer.PushSequence(Context0))
            {
                writer.WriteGeneralizedTime(Der.ToSeconds(answer.NextUpdate), omitFractionalSeconds: true);
            }
        }
    }
}

/// <summary>The CertID pre-signed responses carry (SHA-1, NULL parameters), for building matching requests.</summary>
public static class OcspCertIds
{
    public static byte[] Sha1(RevocationIssuer issuer, string serialHex) => OcspResponseWriter.Sha1CertId(issuer, serialHex);
}
