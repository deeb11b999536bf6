using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace MobileJpki.Revocation.Tests;

/// <summary>Builds OCSP requests and reads responses back with AsnReader, independently of the code under test.</summary>
public static class OcspMessages
{
    public const string Sha1 = "1.3.14.3.2.26";
    public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    public const string Nonce = "1.3.6.1.5.5.7.48.1.2";

    private static readonly Asn1Tag C0 = new(TagClass.ContextSpecific, 0, true);
    private static readonly Asn1Tag C1 = new(TagClass.ContextSpecific, 1, true);
    private static readonly Asn1Tag C2 = new(TagClass.ContextSpecific, 2, true);

    /// <summary>A CertID for <paramref name="ca"/> and a serial given as lowercase hex.</summary>
    public static byte[] CertId(TestCa ca, string serialHex, string hashOid = Sha1)
    {
        var keyBits = ca.Certificate.PublicKey.EncodedKeyValue.RawData;
        var name = ca.Certificate.SubjectName.RawData;
#pragma warning disable CA5350 // what OCSP clients send
        var (nameHash, keyHash) = hashOid == Sha256
            ? (SHA256.HashData(name), SHA256.HashData(keyBits))
            : (SHA1.HashData(name), SHA1.HashData(keyBits));
#pragma warning restore CA5350
        return CertId(hashOid, nameHash, keyHash, Convert.FromHexString(serialHex));
    }

    public static byte[] CertId(string hashOid, byte[] nameHash, byte[] keyHash, byte[] serialUnsigned)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(hashOid);
                w.WriteNull();
            }

            w.WriteOctetString(nameHash);
            w.WriteOctetString(keyHash);
            w.WriteIntegerUnsigned(serialUnsigned);
        }

        return w.Encode();
    }

    public static byte[] Request(IEnumerable<byte[]> certIds, byte[]? nonce = null)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                foreach (var id in certIds)
                {
                    using (w.PushSequence())
                    {
                        w.WriteEncodedValue(id);
                    }
                }
            }

            if (nonce is not null)
            {
                using (w.PushSequence(C2))
                using (w.PushSequence())
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(Nonce);
                    using (w.PushOctetString())
                    {
                        w.WriteOctetString(nonce);
                    }
                }
            }
        }

        return w.Encode();
    }

    public static byte[] Request(params byte[][] certIds) => Request((IEnumerable<byte[]>)certIds);

    public sealed record Single(byte[] CertId, string Status, DateTimeOffset? RevocationTime, int? Reason, DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate);

    public sealed record Parsed(
        int Status,
        byte[]? ResponderKeyHash,
        DateTimeOffset ProducedAt,
        IReadOnlyList<Single> Responses,
        byte[]? NonceValue,
        bool SignatureValid,
        bool HasCerts);

    /// <summary>Reads an OCSPResponse; for a successful one, checks the signature with <paramref name="caKey"/>.</summary>
    public static Parsed Parse(byte[] der, RSA caKey)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var response = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var status = Enumerated(response);
        if (!response.HasData)
        {
            return new Parsed(status, null, default, [], null, false, false);
        }

        var bytesWrapper = response.ReadSequence(C0);
        var responseBytes = bytesWrapper.ReadSequence();
        Assert.Equal("1.3.6.1.5.5.7.48.1.1", responseBytes.ReadObjectIdentifier());
        var basicDer = responseBytes.ReadOctetString();
        response.ThrowIfNotEmpty();

        var basicReader = new AsnReader(basicDer, AsnEncodingRules.DER);
        var basic = basicReader.ReadSequence();
        basicReader.ThrowIfNotEmpty();
        var tbs = basic.ReadEncodedValue();
        var algorithm = basic.ReadSequence();
        Assert.Equal("1.2.840.113549.1.1.11", algorithm.ReadObjectIdentifier());
        var signature = basic.ReadBitString(out _);
        var hasCerts = basic.HasData;

        var data = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var responder = data.ReadSequence(C2);
        var keyHash = responder.ReadOctetString();
        var producedAt = data.ReadGeneralizedTime();
        var list = data.ReadSequence();
        var singles = new List<Single>();
        while (list.HasData)
        {
            var s = list.ReadSequence();
            var certId = s.ReadEncodedValue().ToArray();
            var tag = s.PeekTag();
            string state;
            DateTimeOffset? revokedAt = null;
            int? reason = null;
            switch (tag.TagValue)
            {
                case 0:
                    s.ReadNull(new Asn1Tag(TagClass.ContextSpecific, 0));
                    state = "good";
                    break;
                case 1:
                    var info = s.ReadSequence(C1);
                    revokedAt = info.ReadGeneralizedTime();
                    if (info.HasData)
                    {
                        var r = info.ReadSequence(C0);
                        reason = Enumerated(r);
                    }

                    state = "revoked";
                    break;
                default:
                    s.ReadNull(new Asn1Tag(TagClass.ContextSpecific, 2));
                    state = "unknown";
                    break;
            }

            var thisUpdate = s.ReadGeneralizedTime();
            DateTimeOffset? nextUpdate = s.HasData ? s.ReadSequence(C0).ReadGeneralizedTime() : null;
            s.ThrowIfNotEmpty();
            singles.Add(new Single(certId, state, revokedAt, reason, thisUpdate, nextUpdate));
        }

        byte[]? nonce = null;
        if (data.HasData)
        {
            var extensions = data.ReadSequence(C1).ReadSequence();
            while (extensions.HasData)
            {
                var e = extensions.ReadSequence();
                if (e.ReadObjectIdentifier() == Nonce)
                {
                    nonce = new AsnReader(e.ReadOctetString(), AsnEncodingRules.DER).ReadOctetString();
                }
            }
        }

        var valid = caKey.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new Parsed(status, keyHash, producedAt, singles, nonce, valid, hasCerts);
    }

    /// <summary>A small non-negative ENUMERATED.</summary>
    public static int Enumerated(AsnReader reader)
    {
        var bytes = reader.ReadEnumeratedBytes().Span;
        Assert.Single(bytes.ToArray());
        return bytes[0];
    }

    public static BigInteger SerialOf(byte[] certId)
    {
        var id = new AsnReader(certId, AsnEncodingRules.DER).ReadSequence();
        id.ReadSequence();
        id.ReadOctetString();
        id.ReadOctetString();
        return id.ReadInteger();
    }
}
