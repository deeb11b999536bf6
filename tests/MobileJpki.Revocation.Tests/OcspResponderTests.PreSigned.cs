using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Revocation.Tests;

public sealed partial class OcspResponderTests
{
    [Fact]
    public async Task Refresher_IssuedCertificate_SignedOnceThenServedFromMemoryWithoutLookupOrSigning()
    {
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good));
        var pass = await _refresher.RunOnceAsync(CancellationToken.None);
        var signer = _signers.For(Hierarchy.Auth);
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));

        var first = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(_responder.TryAnswerFromMemory(Hierarchy.Auth, request, out var entry));
            Assert.Same(first.Der, entry.Der);
        }

        Assert.Equal(1, pass.Signed);
        Assert.Same(_store.Rows[GoodSerial].Der, first.Der);
        Assert.Equal(OcspCertStatus.Good, _store.Rows[GoodSerial].CertStatus);
        Assert.Equal(1, signer.Signatures);
        Assert.Equal(0, _reader.Lookups);
        Assert.Equal("good", (await AskAsync(request)).Responses[0].Status);
    }

    [Fact]
    public async Task Refresher_HoldThenLifted_CertificateHoldThenGood()
    {
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.RevokedFor(RevokedAt, RevocationReasons.Hold)));
        await _refresher.RunOnceAsync(CancellationToken.None);
        var held = await AskAsync(request);

        _time.Advance(TimeSpan.FromSeconds(2));
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good));
        await _refresher.RunOnceAsync(CancellationToken.None);
        var lifted = await AskAsync(request);

        Assert.Equal("revoked", held.Responses[0].Status);
        Assert.Equal(6, held.Responses[0].Reason);
        Assert.Equal(RevokedAt, held.Responses[0].RevocationTime);
        Assert.Equal(OcspCertStatus.Good, _store.Rows[GoodSerial].CertStatus);
        Assert.Equal("good", lifted.Responses[0].Status);
        Assert.Equal(0, _reader.Lookups);
    }

    [Fact]
    public async Task Replica_EmptyTablePolledRepeatedly_ReadsNothingAndKeepsPolling()
    {
        // A fresh installation: no response signed yet, and the replica polls every half second.
        var replica = new OcspReplica([_auth.Issuer], _options, _time);

        Assert.Equal(0, await replica.PollAsync(new FakeOcspStore(), CancellationToken.None));
        Assert.Equal(0, await replica.PollAsync(new FakeOcspStore(), CancellationToken.None));
    }

    [Fact]
    public async Task Replica_OtherNodesRows_PolledAndServedSameBytes()
    {
        _store.Due.Add(new OcspDue(Hierarchy.Auth, SupersededSerial, CertificateStatusInfo.RevokedFor(RevokedAt, RevocationReasons.KeyCompromise)));
        await _refresher.RunOnceAsync(CancellationToken.None);
        var otherReplica = new OcspReplica([_auth.Issuer], _options, _time);
        var otherNode = new OcspResponder([_auth.Issuer], _signers, otherReplica, _reader, _time, _options);
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, SupersededSerial));
        Assert.False(otherNode.TryAnswerFromMemory(Hierarchy.Auth, request, out _));

        Assert.Equal(1, await otherReplica.PollAsync(_store, CancellationToken.None));

        Assert.True(otherNode.TryAnswerFromMemory(Hierarchy.Auth, request, out var entry));
        Assert.Same(_store.Rows[SupersededSerial].Der, entry.Der);
    }

    [Fact]
    public async Task Refresher_SigningFails_LastResponseServedUntilNextUpdateThenTryLater()
    {
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good));
        await _refresher.RunOnceAsync(CancellationToken.None);
        var failing = new OcspRefresher([_auth.Issuer], new FailingSigners(), _store, _replica, _time, _time, _options);
        var request = OcspMessages.Request(OcspMessages.CertId(_auth, GoodSerial));
        var signed = _store.Rows[GoodSerial].Der;

        _time.Advance(TimeSpan.FromHours(13));
        _store.Due.Add(new OcspDue(Hierarchy.Auth, GoodSerial, CertificateStatusInfo.Good));
        var pass = await failing.RunOnceAsync(CancellationToken.None);
        var stillServed = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(11));
        _reader.Fail = true;
        var afterNextUpdate = await _responder.RespondAsync(Hierarchy.Auth, request, CancellationToken.None);

        Assert.Equal(1, pass.Failed);
        Assert.Same(signed, stillServed.Der);
        Assert.Equal(OcspResponseStatus.TryLater, afterNextUpdate.Status);
    }

    [Fact]
    public void ResponderCertificate_IssuedByCaWithOcspSigningAndNoCheck_RenewedBeforeExpiry()
    {
        var first = _signers.For(Hierarchy.Auth).Certificate;

        Assert.Equal(_auth.Certificate.SubjectName.RawData, first.IssuerName.RawData);
        Assert.Contains(first.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(), o => o.Value == ResponderCertificates.OcspSigningOid);
        Assert.NotNull(first.Extensions[ResponderCertificates.OcspNoCheckOid]);
        Assert.Equal(Start.UtcDateTime.AddDays(30), first.NotAfter.ToUniversalTime());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_auth.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Start.UtcDateTime.AddDays(1);
        Assert.True(chain.Build(first), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));

        _time.Advance(TimeSpan.FromDays(22));
        Assert.Same(first, _signers.For(Hierarchy.Auth).Certificate);
        _time.Advance(TimeSpan.FromDays(1));
        var renewed = _signers.For(Hierarchy.Auth).Certificate;

        Assert.NotEqual(first.SerialNumber, renewed.SerialNumber);
        Assert.Equal(2, _signers.Issued);
    }

    private sealed class FailingSigners : IOcspSigners
    {
        public OcspSigner For(Hierarchy hierarchy) => throw new InvalidOperationException("HSM gone");
    }
}
