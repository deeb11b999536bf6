using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Storage;

namespace MobileJpki.Ra.Tests;

/// <summary>
/// docs/issuance-cycle.md, "Recovery": a batch that fails anywhere (the CA, or the database during completion) goes
/// back to the queue at once and is retried by the running worker with new serials; a phone sees its certificates
/// only once the completion (and with it the one-device rule) is committed; a claim lost to another node is not
/// completed here.
/// </summary>
public sealed class IssuanceRecoveryTests
{
    [Fact]
    public async Task ProcessDueAsync_DatabaseFailsDuringCompletion_ReleasedSignedOnesRevokedNextRoundIssues()
    {
        var database = new FailingCompletion();
        using var h = new RaHarness(interceptors: database);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);

        database.FailBeforeCommit = true;
        await Assert.ThrowsAsync<DbUpdateException>(h.ProcessAsync);

        // Not left in Processing: queued again, and the two certificates the CA signed are revoked, never handed out.
        var row = await h.ApplicationAsync(accepted.Id);
        Assert.Equal((int)ApplicationStatus.Queued, row.Status);
        Assert.Null(row.ClaimedBy);
        var abandoned = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, abandoned.Count);
        Assert.All(abandoned, c =>
        {
            Assert.Equal((int)CertificateStatus.Revoked, c.Status);
            Assert.Equal(RevocationReasons.Abandoned, c.RevocationReason);
            Assert.True(c.RevokedAt >= c.IssuedAt);
        });
        Assert.Empty((await h.Ra.GetStatusAsync(await h.AuthenticateAsync(phone), includeCertificates: true, CancellationToken.None)).Certificates);
        Assert.DoesNotContain(await h.NotificationsAsync("phoneA"), n => n.Type == Notices.IssuedType);

        // The next round of the same running worker issues it, with new serials.
        database.FailBeforeCommit = false;
        Assert.Equal(1, await h.ProcessAsync());

        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(accepted.Id)).Status);
        var all = await h.CertificatesOfPhoneAsync("phoneA");
        var live = all.Where(c => c.Status == (int)CertificateStatus.Issued).ToList();
        Assert.Equal(2, live.Count);
        Assert.Empty(live.Select(c => c.Serial).Intersect(abandoned.Select(c => c.Serial)));
        var status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(phone), includeCertificates: true, CancellationToken.None);
        Assert.Equal(live.Select(c => c.Serial).Order(), status.Certificates.Where(c => c.Certificate is not null).Select(c => c.Serial).Order());
    }

    [Fact]
    public async Task ProcessDueAsync_CompletionCommittedButTheAnswerWasLost_CertificatesKeptNotReissued()
    {
        var database = new FailingCompletion();
        using var h = new RaHarness(interceptors: database);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);

        database.FailAfterCommit = true;
        await Assert.ThrowsAsync<DbUpdateException>(h.ProcessAsync);

        // The release that follows the error must not revoke what was committed (the phone may already have it).
        Assert.Equal((int)ApplicationStatus.Issued, (await h.ApplicationAsync(accepted.Id)).Status);
        var certificates = await h.CertificatesOfPhoneAsync("phoneA");
        Assert.Equal(2, certificates.Count);
        Assert.All(certificates, c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        database.FailAfterCommit = false;
        Assert.Equal(0, await h.ProcessAsync());
        Assert.Equal(2, (await h.CertificatesOfPhoneAsync("phoneA")).Count);
    }

    [Fact]
    public async Task GetStatusAndRegister_NewPhoneWhileItsCompletionIsPending_NothingHandedOutOldPhoneStaysLive()
    {
        var gate = new GatedCertificateAuthority();
        using var h = new RaHarness(wrapCa: gate.Wrap);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var oldPhone = new TestPhone("phoneA", 0);
        await h.ApplyAsync(card, oldPhone);
        await h.ProcessAsync();
        var oldSerials = (await h.CertificatesOfPhoneAsync("phoneA")).Select(c => c.Serial).ToArray();
        await h.Ra.RegisterAsync(await h.AuthenticateAsync(oldPhone), oldSerials, CancellationToken.None);

        var newPhone = new TestPhone("phoneB", 1);
        await h.ApplyAsync(card, newPhone);
        gate.Hold = true;
        var processing = Task.Run(h.ProcessAsync);
        await gate.Signed.WaitAsync(TimeSpan.FromSeconds(30));

        // The CA has signed the new phone's pair (Issued in the database), the old phone is not revoked yet.
        var pending = await h.CertificatesOfPhoneAsync("phoneB");
        Assert.Equal(2, pending.Count);
        Assert.All(pending, c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        var status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(newPhone), includeCertificates: true, CancellationToken.None);
        Assert.Empty(status.Certificates);
        Assert.Equal("processing", Assert.Single(status.Applications).Status);

        // Knowing the serials (say, guessed or leaked) does not help: neither the RA nor storage activates them.
        var newRecord = await h.AuthenticateAsync(newPhone);
        var refused = await Assert.ThrowsAsync<MjpkiException>(() => h.Ra.RegisterAsync(newRecord, pending.Select(c => c.Serial).ToArray(), CancellationToken.None));
        Assert.Equal("unknown-certificate", refused.Code);
        Assert.Equal(0, await h.Storage.ActivateAsync("phoneB", pending.Select(c => c.Serial).ToArray(), CancellationToken.None));
        Assert.All(await h.CertificatesOfPhoneAsync("phoneB"), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal((int)CertificateStatus.Active, c.Status));

        gate.Release();
        Assert.Equal(1, await processing);

        // Committed: the old phone is revoked in the same transaction, and only now does the new one get its pair.
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal(RevocationReasons.DeviceChanged, c.RevocationReason));
        status = await h.Ra.GetStatusAsync(await h.AuthenticateAsync(newPhone), includeCertificates: true, CancellationToken.None);
        Assert.Equal(pending.Select(c => c.Serial).Order(), status.Certificates.Where(c => c.Certificate is not null).Select(c => c.Serial).Order());
        Assert.Equal(2, await h.Ra.RegisterAsync(await h.AuthenticateAsync(newPhone), pending.Select(c => c.Serial).ToArray(), CancellationToken.None));
    }

    [Fact]
    public async Task ProcessDueAsync_ClaimTakenOverWhileTheCaSigned_NotCompletedHereWhatItSignedRevoked()
    {
        var gate = new GatedCertificateAuthority();
        using var h = new RaHarness(wrapCa: gate.Wrap);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        var phone = new TestPhone("phoneA", 0);
        var accepted = await h.ApplyAsync(card, phone);

        // This node stalls past its lease while the CA signs; another node takes the application over and claims it.
        gate.AfterSigning = async () =>
        {
            await using var db = h.Database.Open();
            await db.Applications.Where(a => a.Id == accepted.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.ClaimedBy, "node-b"));
        };
        Assert.Equal(1, await h.ProcessAsync());

        var row = await h.ApplicationAsync(accepted.Id);
        Assert.Equal((int)ApplicationStatus.Processing, row.Status);
        Assert.Equal("node-b", row.ClaimedBy);
        Assert.All(await h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal(RevocationReasons.Abandoned, c.RevocationReason));
        Assert.Empty(await h.NotificationsAsync("phoneA"));
        Assert.Empty((await h.Ra.GetStatusAsync(await h.AuthenticateAsync(phone), includeCertificates: true, CancellationToken.None)).Certificates);
    }

    [Fact]
    public async Task RenewClaimsAsync_WhileABatchIsSigned_RenewsExactlyThatBatch()
    {
        var gate = new GatedCertificateAuthority();
        using var h = new RaHarness(wrapCa: gate.Wrap);
        var card = await h.IssueCardAsync(RaHarness.Yamada, 0);
        await h.ApplyAsync(card, new TestPhone("phoneA", 0));
        Assert.Equal(0, await h.Ra.RenewClaimsAsync(CancellationToken.None));

        gate.Hold = true;
        var processing = Task.Run(h.ProcessAsync);
        await gate.Signed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await h.Ra.RenewClaimsAsync(CancellationToken.None));

        gate.Release();
        await processing;
        Assert.Equal(0, await h.Ra.RenewClaimsAsync(CancellationToken.None));
    }
}

/// <summary>
/// Makes the completion's transaction fail as a broken database would: before it commits (nothing is stored), or
/// after (stored, but the caller gets an error).
/// </summary>
internal sealed class FailingCompletion : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly HashSet<DbContext> _completing = [];

    public bool FailBeforeCommit { get; set; }

    public bool FailAfterCommit { get; set; }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        var completes = eventData.Context!.ChangeTracker.Entries<ApplicationEntity>()
            .Any(e => e.State == EntityState.Modified && e.Entity.Status == (int)ApplicationStatus.Issued);
        if (completes && FailBeforeCommit)
        {
            throw new DbUpdateException("simulated: the database failed while completing the batch");
        }

        if (completes)
        {
            lock (_completing)
            {
                _completing.Add(eventData.Context);
            }
        }

        return ValueTask.FromResult(result);
    }

    public Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        bool completed;
        lock (_completing)
        {
            completed = eventData.Context is not null && _completing.Remove(eventData.Context);
        }

        return completed && FailAfterCommit
            ? throw new DbUpdateException("simulated: the connection broke after the completion committed")
            : Task.CompletedTask;
    }
}

/// <summary>A CA that can hold a batch after signing it (as a slow CA or a stalled node would) and run code then.</summary>
internal sealed class GatedCertificateAuthority
{
    private readonly TaskCompletionSource _signed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Hold { get; set; }

    public Func<Task>? AfterSigning { get; set; }

    /// <summary>Completes once a held batch is signed and recorded.</summary>
    public Task Signed => _signed.Task;

    public void Release() => _release.TrySetResult();

    public ICertificateAuthority Wrap(ICertificateAuthority inner) => new Wrapper(this, inner);

    private sealed class Wrapper(GatedCertificateAuthority owner, ICertificateAuthority inner) : ICertificateAuthority
    {
        public X509Certificate2 CaCertificate(Hierarchy hierarchy) => inner.CaCertificate(hierarchy);

        public async Task<IReadOnlyList<IssuedCertificate>> IssueAsync(IReadOnlyList<IssueOrder> orders, CancellationToken ct)
        {
            var issued = await inner.IssueAsync(orders, ct);
            if (orders.All(o => o.PhoneId is null))
            {
                return issued; // a card, not a phone batch
            }

            if (owner.AfterSigning is { } after)
            {
                await after();
            }

            if (owner.Hold)
            {
                owner._signed.TrySetResult();
                await owner._release.Task.WaitAsync(ct);
            }

            return issued;
        }
    }
}
