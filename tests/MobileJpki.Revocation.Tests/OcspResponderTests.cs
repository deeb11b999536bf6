using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Revocation.Tests;

public sealed partial class OcspResponderTests : IDisposable
{
    private const string GoodSerial = "3a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private const string SupersededSerial = "4a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private const string DeviceChangedSerial = "5a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private const string OtherReasonSerial = "6a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private const string NeverIssued = "7a1b2c3d4e5f60718293a4b5c6d7e8f9";

    private static readonly DateTimeOffset Start = new(2026, 11, 27, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset RevokedAt = new(2026, 11, 20, 9, 30, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start.AddMilliseconds(250));
    private readonly TestCa _auth = new(Hierarchy.Auth, "Test auth CA", Start);
    private readonly TestCa _sign = new(Hierarchy.Signing, "Test sign CA", Start);
    private readonly FakeStatusReader _reader = new();
    private readonly RevocationOptions _options = new();
    private readonly ResponderCertificates _signers;
    private readonly OcspReplica _replica;
    private readonly FakeOcspStore _store = new();
    private readonly OcspRefresher _refresher;
    private readonly OcspResponder _responder;

    public OcspResponderTests()
    {
        _reader.Set(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good);
        _reader.Set(Hierarchy.Auth, SupersededSerial, CertificateStatusInfo.RevokedFor(RevokedAt, "superseded"));
        _reader.Set(Hierarchy.Auth, DeviceChangedSerial, CertificateStatusInfo.RevokedFor(RevokedAt, "device-changed"));
        _reader.Set(Hierarchy.Auth, OtherReasonSerial, CertificateStatusInfo.RevokedFor(RevokedAt, "something-else"));
        _signers = new ResponderCertificates([_auth.Issuer, _sign.Issuer], null, _time, _options);
        _replica = new OcspReplica([_auth.Issuer, _sign.Issuer], _options, _time);
        _refresher = new OcspRefresher([_auth.Issuer, _sign.Issuer], _signers, _store, _replica, _time, _time, _options);
        _responder = new OcspResponder([_auth.Issuer, _sign.Issuer], _signers, _replica, _reader, _time, _options);
    }

    public void Dispose()
    {
        _signers.Dispose();
        _auth.Dispose();
        _sign.Dispose();
    }

    private async Task<OcspMessages.Parsed> AskAsync(byte[] request, Hierarchy hierarchy = Hierarchy.Auth)
    {
        var result = await _responder.RespondAsync(hierarchy, request, CancellationToken.None);
        using var key = _signers.For(hierarchy).Certificate.GetRSAPublicKey()!;
        var parsed = OcspMessages.Parse(result.Der, key);
        Assert.Equal((int)result.Status, parsed.Status);
        return parsed;
    }

    [Fact]
    public async Task Respond_IssuedCertificate_GoodSignedByDelegatedResponderWithTimes()
    {
        var certId = OcspMessages.CertId(_auth, GoodSerial);

        var response = await AskAsync(OcspMessages.Request(certId));

        Assert.Equal(0, response.Status);
        Assert.True(response.SignatureValid);
        Assert.True(response.HasCerts);
        Assert.Equal(SHA1.HashData(_signers.For(Hierarchy.Auth).Certificate.PublicKey.EncodedKeyValue.RawData), response.ResponderKeyHash);
        Assert.Equal(Start, response.ProducedAt);
        var single = Assert.Single(response.Responses);
        Assert.Equal(certId, single.CertId);
        Assert.Equal("good", single.Status);
        Assert.Equal(Start, single.ThisUpdate);
        Assert.Equal(Start.AddDays(1), single.NextUpdate);
        Assert.Null(response.NonceValue);
    }

    [Theory]
    [InlineData(SupersededSerial, 4)]
    [InlineData(DeviceChangedSerial, 4)]
    [InlineData(OtherReasonSerial, null)]
    public async Task Respond_RevokedCertificate_RevokedWithTimeAndMappedReason(string serial, int? reason)
    {
        var response = await AskAsync(OcspMessages.Request(OcspMessages.CertId(_auth, serial)));

        Assert.True(response.SignatureValid);
        var single = Assert.Single(response.Responses);
        Assert.Equal("revoked", single.Status);
        Assert.Equal(RevokedAt, single.RevocationTime);
        Assert.Equal(reason, single.Reason);
    }

    [Fact]
    public async Task Respond_SerialNeverIssued_Unknown()
    {
        var response = await AskAsync(OcspMessages.Request(OcspMessages.CertId(_auth, NeverIssued)));

        Assert.True(response.SignatureValid);
        Assert.Equal("unknown", Assert.Single(response.Responses).Status);
    }

    [Fact]
    public async Task Respond_Sha256CertId_AnsweredAndEchoed()
    {
        var certId = OcspMessages.CertId(_auth, GoodSerial, OcspMessages.Sha256);

        var response = await AskAsync(OcspMessages.Request(certId));

        var single = Assert.Single(response.Responses);
        Assert.Equal(certId, single.CertId);
        Assert.Equal("good", single.Status);
    }

    [Fact]
    public async Task Respond_SeveralCertIds_OneSignedResponseInOrder()
    {
        var ids = new[] { GoodSerial, SupersededSerial, NeverIssued }.Select(s => OcspMessages.CertId(_auth, s)).ToArray();

        var response = await AskAsync(OcspMessages.Request(ids));

        Assert.True(response.SignatureValid);
        Assert.Equal(["good", "revoked", "unknown"], response.Responses.Select(r => r.Status));
        Assert.Equal(ids, response.Responses.Select(r => r.CertId));
    }

    [Fact]
    public async Task Respond_WithNonce_NonceEchoedAndSignedEachTime()
    {
        var request = OcspMessages.Request([OcspMessages.CertId(_auth, GoodSerial)], nonce: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

        var first = await AskAsync(request);
        var second = await AskAsync(request);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], first.NonceValue);
        Assert.True(first.SignatureValid);
        Assert.Equal(first.NonceValue, second.NonceValue);
        Assert.Equal(2, _signers.For(Hierarchy.Auth).Signatures);
    }

    [Fact]
    public async Task Respond_NonceWhenEchoDisabled_IgnoredAndServedPreSigned()
    {
        var options = new RevocationOptions { EchoNonce = false };
        var responder = new OcspResponder([_auth.Issuer], _signers, _replica, _reader, _time, options);
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good));
        await _refresher.RunOnceAsync(CancellationToken.None);
        var request = OcspMessages.Request([OcspMessages.CertId(_auth, GoodSerial)], nonce: [9, 9, 9, 9, 9, 9, 9, 9]);

        var first = await responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);
        var second = await responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);

        using var key = _signers.For(Hierarchy.Auth).Certificate.GetRSAPublicKey()!;
        Assert.Null(OcspMessages.Parse(first.Der, key).NonceValue);
        Assert.Same(first.Der, second.Der);
        Assert.Equal(1, _signers.For(Hierarchy.Auth).Signatures);
        Assert.Equal(0, _reader.Lookups);
    }

    [Fact]
    public async Task Respond_ReaderFails_TryLater()
    {
        _reader.Fail = true;

        var result = await _responder.RespondAsync(Hierarchy.Auth, OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial)), CancellationToken.None);

        Assert.Equal(OcspResponseStatus.TryLater, result.Status);
        Assert.Equal(new byte[] { 0x30, 0x03, 0x0A, 0x01, 0x03 }, result.Der);
    }
}
