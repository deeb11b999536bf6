using MobileJpki.Core;

namespace MobileJpki.Revocation.Tests;

public sealed partial class OcspResponderTests
{
    [Fact]
    public async Task Respond_RepeatedRequest_ServedPreSignedWithoutSigning()
    {
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        var first = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(11));

        for (var i = 0; i < 100; i++)
        {
            var again = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);
            Assert.Same(first.Der, again.Der);
        }

        Assert.Equal(1, _auth.Key.Signatures);
        Assert.Equal(1, _responder.CachedCount);
    }

    [Fact]
    public async Task Respond_StatusChangedAndInvalidated_SignedAgainAsRevoked()
    {
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        Assert.Equal("good", (await AskAsync(request)).Responses[0].Status);

        _reader.Set(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.RevokedFor(RevokedAt, "device-changed"));
        _responder.Invalidate(Hierarchy.Auth, GoodSerial);
        var after = await AskAsync(request);

        Assert.Equal("revoked", after.Responses[0].Status);
        Assert.Equal(4, after.Responses[0].Reason);
        Assert.Equal(2, _auth.Key.Signatures);
    }

    [Fact]
    public async Task Respond_StatusChangedWithoutInvalidate_StillNotServedStale()
    {
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        await AskAsync(request);

        _reader.Set(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.RevokedFor(RevokedAt, "superseded"));

        Assert.Equal("revoked", (await AskAsync(request)).Responses[0].Status);
    }

    [Fact]
    public async Task Respond_PreSignedOlderThanRefresh_SignedAgainWithNewWindow()
    {
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        await AskAsync(request);

        _time.Advance(TimeSpan.FromHours(12));
        var refreshed = await AskAsync(request);

        Assert.Equal(2, _auth.Key.Signatures);
        Assert.Equal(Start.AddHours(12), refreshed.Responses[0].ThisUpdate);
        Assert.Equal(Start.AddHours(36), refreshed.Responses[0].NextUpdate);
    }

    [Fact]
    public async Task Respond_ClockSetBack_SignedAgain()
    {
        var clock = new SettableTime { Now = Start };
        var responder = new Ocsp.OcspResponder([_auth.Issuer], _reader, clock, new RevocationOptions());
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        await responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);

        clock.Now = Start.AddHours(-1);
        var response = OcspMessages.Parse((await responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None)).Der, _auth.PublicKey);

        Assert.Equal(Start.AddHours(-1), response.Responses[0].ThisUpdate);
        Assert.Equal(2, _auth.Key.Signatures);
    }

    [Fact]
    public async Task Respond_CacheFull_StaysWithinCapacity()
    {
        var responder = new Ocsp.OcspResponder([_auth.Issuer], _reader, _time, new RevocationOptions { OcspCacheCapacity = 10 });

        for (var i = 0; i < 25; i++)
        {
            await responder.RespondAsync(Hierarchy.Auth, OcspMessages.Request(OcspMessages.CertId(_auth, $"{i + 16:x2}")), CancellationToken.None);
        }

        Assert.InRange(responder.CachedCount, 1, 10);
    }

    /// <summary>A clock that can be set back, like the sandbox clock (FakeTimeProvider refuses to).</summary>
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
