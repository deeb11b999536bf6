using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests.Pkcs11;

/// <summary>The HSM or its sessions go away and come back: signing recovers without a new provider.</summary>
public sealed partial class Pkcs11KeyProviderTests
{
    [Fact]
    public void SignData_SessionsClosedFromOutside_NextSignatureSucceeds()
    {
        var token = SoftHsm.NewLabel("closed");
        hsm.CreateToken(token);
        using var outside = hsm.OpenOutsideHandle();
        using var provider = new Pkcs11KeyProvider();
        using var key = provider.CreateKey(hsm.KeyUri(token, "ca-sign"));
        SignAndVerify(key);

        // C_CloseAllSessions on the slot: the provider's pooled sessions (and its login) are gone.
        var generation = ((Pkcs11Rsa)key).TokenGeneration;
        SoftHsm.SlotOf(outside, token).CloseAllSessions();

        SignAndVerify(key);
        SignAndVerify(key);
        Assert.Equal(generation + 1, ((Pkcs11Rsa)key).TokenGeneration);
    }

    [Fact]
    public void SignData_ModuleFinalizedFromOutside_NextSignatureSucceeds()
    {
        var token = SoftHsm.NewLabel("finalized");
        hsm.CreateToken(token);
        var outside = hsm.OpenOutsideHandle();
        using var provider = new Pkcs11KeyProvider();
        using var key = provider.CreateKey(hsm.KeyUri(token, "ca-sign"));
        SignAndVerify(key);

        // C_Finalize: the whole library state of the process is gone (as after an HSM client restart).
        var generation = ((Pkcs11Rsa)key).TokenGeneration;
        outside.Dispose();

        SignAndVerify(key);
        Assert.Equal(generation + 1, ((Pkcs11Rsa)key).TokenGeneration);
        Parallel.For(0, 16, _ => SignAndVerify(key));
    }

    [Fact]
    public void SignData_TokenGone_ThrowsHsmUnavailableThenRecoversWhenBack()
    {
        var token = SoftHsm.NewLabel("gone");
        var tokenDirectory = hsm.CreateToken(token);
        using var provider = new Pkcs11KeyProvider();
        using var key = provider.CreateKey(hsm.KeyUri(token, "ca-sign"));
        SignAndVerify(key);

        // The token disappears and the module is restarted without it.
        var parked = Path.Combine(hsm.Directory, "parked-" + Guid.NewGuid().ToString("N"));
        Directory.Move(tokenDirectory, parked);
        hsm.OpenOutsideHandle().Dispose();

        var error = Assert.Throws<MjpkiException>(() => key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(ErrorKind.Unavailable, error.Kind);
        Assert.Equal("hsm-unavailable", error.Code);
        Assert.Contains(token, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsm.UserPin, error.Message, StringComparison.Ordinal);

        // Still gone: still unavailable (and no crash, no stuck state).
        Assert.Equal("hsm-unavailable", Assert.Throws<MjpkiException>(() => key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)).Code);

        Directory.Move(parked, tokenDirectory);

        SignAndVerify(key);
    }

    [Fact]
    public async Task SignData_OtherTokenOfTheModuleGoneAndBack_SignersOnThisTokenNeverCrashAndKeepVerifying()
    {
        // The two CA keys live in two tokens of one module. Recovering from the loss of one token finalises the
        // library; that must wait for signers of the other token to leave it, or the process dies in native code.
        var steady = SoftHsm.NewLabel("steady");
        var flaky = SoftHsm.NewLabel("flaky");
        hsm.CreateToken(steady);
        var flakyDirectory = hsm.CreateToken(flaky);
        using var provider = new Pkcs11KeyProvider();
        using var steadyKey = provider.CreateKey(hsm.KeyUri(steady, "ca-auth"));
        using var flakyKey = provider.CreateKey(hsm.KeyUri(flaky, "ca-sign"));
        SignAndVerify(flakyKey);
        var parked = Path.Combine(hsm.Directory, "parked-" + Guid.NewGuid().ToString("N"));
        using var stop = new CancellationTokenSource();
        var signed = 0;
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        var signers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    SignAndVerify(steadyKey);
                    Interlocked.Increment(ref signed);
                }
                catch (MjpkiException e) when (e.Code == "hsm-unavailable")
                {
                    // A reset of the library can void this signer's session once; the next signature recovers.
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            }
        })).ToArray();

        for (var round = 0; round < 15; round++)
        {
            Directory.Move(flakyDirectory, parked);
            Assert.Equal("hsm-unavailable", Assert.Throws<MjpkiException>(() => flakyKey.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)).Code);
            Directory.Move(parked, flakyDirectory);
            SignAndVerify(flakyKey);
        }

        // Under load the rounds can end before a signer was even scheduled: what counts is that they go on signing
        // once the other token is back (bounded wait), and that nothing but "hsm-unavailable" ever came out.
        var afterRounds = Volatile.Read(ref signed);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref signed) > afterRounds, TimeSpan.FromSeconds(60)), "the steady token's signers made no progress");
        stop.Cancel();
        await Task.WhenAll(signers);
        Assert.Empty(unexpected);
        SignAndVerify(steadyKey);
    }

    [Fact]
    public async Task IssueAsync_TokenGone_ThrowsHsmUnavailableThenIssuesWhenBack()
    {
        var token = SoftHsm.NewLabel("issue");
        var tokenDirectory = hsm.CreateToken(token);
        var options = new PkiOptions
        {
            DataDirectory = Path.Combine(hsm.Directory, "issue-" + Guid.NewGuid().ToString("N")),
            SigningCaKeyUri = hsm.KeyUri(token, "ca-sign"),
            AuthCaKeyUri = hsm.KeyUri(token, "ca-auth"),
        };
        using var keys = KeyProviders.ForOptions(options);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(PkiTestContext.DefaultNow);
        using var hierarchy = CaHierarchy.LoadOrCreate(options, keys, time);
        var ca = new CertificateAuthority(hierarchy, new CertificateIssuer(hierarchy, time), new NullLedger());
        IssueOrder[] orders = [.. Enumerable.Range(0, 6).Select(i => new IssueOrder(
            PkiTestContext.RequestFor(i % 2 == 0 ? CertificateKind.CardSigning : CertificateKind.CardAuth), Guid.NewGuid(), null, null))];
        Assert.Equal(6, (await ca.IssueAsync(orders, CancellationToken.None)).Count);

        var parked = Path.Combine(hsm.Directory, "parked-" + Guid.NewGuid().ToString("N"));
        Directory.Move(tokenDirectory, parked);
        hsm.OpenOutsideHandle().Dispose();

        // The parallel batch fails as our own error (503 at the edge, a requeue in the RA), not as an AggregateException.
        var error = await Assert.ThrowsAsync<MjpkiException>(() => ca.IssueAsync(orders, CancellationToken.None));
        Assert.Equal("hsm-unavailable", error.Code);

        Directory.Move(parked, tokenDirectory);
        var issued = await ca.IssueAsync(orders, CancellationToken.None);
        Assert.Equal(6, issued.Count);
    }

    private static void SignAndVerify(RSA key)
    {
        var signature = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.True(key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private sealed class NullLedger : ICertificateLedger
    {
        public Task RecordIntentsAsync(IReadOnlyList<CertificateIntent> intents, CancellationToken ct) => Task.CompletedTask;

        public Task RecordSignedAsync(IReadOnlyList<IssuedCertificate> signed, CancellationToken ct) => Task.CompletedTask;
    }
}
