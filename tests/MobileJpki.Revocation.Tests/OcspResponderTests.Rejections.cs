using System.Formats.Asn1;
using MobileJpki.Core;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Revocation.Tests;

public sealed partial class OcspResponderTests
{
    public static TheoryData<string, byte[]> MalformedRequests()
    {
        using var ca = new TestCa(Hierarchy.Auth, "Malformed", Start);
        var good = OcspMessages.Request(OcspMessages.CertId(ca, GoodSerial));
        var nineIds = OcspMessages.Request(Enumerable.Range(0, 9).Select(i => OcspMessages.CertId(ca, $"1{i}")).ToArray());
        var bigNonce = OcspMessages.Request([OcspMessages.CertId(ca, GoodSerial)], nonce: new byte[33]);
        var noIds = OcspMessages.Request();
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "garbage", [0x01, 0x02, 0x03] },
            { "truncated", good[..^1] },
            { "trailing data", [.. good, 0x00] },
            { "BER indefinite length", [0x30, 0x80, .. good[2..], 0x00, 0x00] },
            { "no CertID", noIds },
            { "nine CertIDs", nineIds },
            { "nonce over 32 bytes", bigNonce },
            { "over 2 KiB", OversizedRequest(ca) },
            { "not a sequence", new AsnWriterBytes().Integer(5) },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task Respond_MalformedRequest_MalformedRequestStatusOnly(string why, byte[] request)
    {
        var result = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);

        Assert.True(result.Status == OcspResponseStatus.MalformedRequest, why);
        Assert.Equal(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x01 }, result.Der);
        Assert.Equal(0, _signers.For(Hierarchy.Auth).Signatures);
    }

    [Fact]
    public async Task Respond_ForeignIssuer_Unauthorized()
    {
        using var foreign = new TestCa(Hierarchy.Auth, "Someone else's CA", Start);

        var response = await AskAsync(OcspMessages.Request(OcspMessages.CertId(foreign, GoodSerial)));

        Assert.Equal((int)OcspResponseStatus.Unauthorized, response.Status);
        Assert.Empty(response.Responses);
        Assert.Equal(0, _signers.For(Hierarchy.Auth).Signatures);
    }

    [Fact]
    public async Task Respond_OtherHierarchysCaAtThisUrl_Unauthorized()
    {
        var response = await AskAsync(OcspMessages.Request(OcspMessages.CertId(_sign, GoodSerial)), Hierarchy.Auth);

        Assert.Equal((int)OcspResponseStatus.Unauthorized, response.Status);
    }

    [Fact]
    public async Task Respond_OneForeignCertIdAmongOurs_Unauthorized()
    {
        var response = await AskAsync(OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial), OcspMessages.CertId(_sign, GoodSerial)));

        Assert.Equal((int)OcspResponseStatus.Unauthorized, response.Status);
    }

    [Fact]
    public async Task Respond_UnsupportedHashAlgorithm_Unauthorized()
    {
        var md5 = OcspMessages.CertId("1.2.840.113549.2.5", new byte[16], new byte[16], [0x12]);

        var response = await AskAsync(OcspMessages.Request(md5));

        Assert.Equal((int)OcspResponseStatus.Unauthorized, response.Status);
    }

    private static byte[] OversizedRequest(TestCa ca)
    {
        // Eight CertIDs (allowed) padded past 2 KiB with a large non-critical extension.
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        {
            using (w.PushSequence())
            using (w.PushSequence())
            {
                w.WriteEncodedValue(OcspMessages.CertId(ca, GoodSerial));
            }

            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2, true)))
            using (w.PushSequence())
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("1.2.3.4");
                w.WriteOctetString(new byte[2100]);
            }
        }

        return w.Encode();
    }

    private sealed class AsnWriterBytes
    {
        public byte[] Integer(long value)
        {
            var w = new AsnWriter(AsnEncodingRules.DER);
            w.WriteInteger(value);
            return w.Encode();
        }
    }
}
