using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Storage.Tests.Hotline;

/// <summary>
/// An audited act and its entry commit together (both providers): a failure injected after the act's writes but
/// before the commit leaves neither, and an entry that cannot be written takes its act with it.
/// </summary>
public abstract class AuditAtomicityTests(StorageProvider provider) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = new(provider);
    private readonly Sabotage _sabotage = new();

    public enum Failure
    {
        /// <summary>Every write ran; the commit fails (a crash between act and commit).</summary>
        Commit,

        /// <summary>The entry's INSERT fails (the act's rows are written, the entry is not).</summary>
        AuditInsert,
    }

    [Theory]
    [InlineData(Failure.Commit)]
    [InlineData(Failure.AuditInsert)]
    public async Task Suspend_FailsBeforeCommit_NeitherSuspensionNorEntry(Failure failure)
    {
        var person = Guid.NewGuid();
        var serials = await SeedPhoneCertificatesAsync(person);
        var store = new LifecycleStore(SabotagedFactory());
        _sabotage.Arm(failure);

        await Assert.ThrowsAnyAsync<Exception>(() => store.ChangePersonAsync(person, phones => PhoneLifecycleRules.Suspend(phones, null, Now), null, ApplicationPurpose.New, Event("hotline.suspend", person.ToString()), CancellationToken.None));

        await using var db = _database.Open();
        Assert.All(await db.Certificates.Where(c => serials.Contains(c.Serial)).ToListAsync(), c => Assert.Equal((int)CertificateStatus.Active, c.Status));
        Assert.Equal(0, await db.Notifications.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync());
        Assert.True(_sabotage.Fired);
    }

    [Fact]
    public async Task Suspend_Committed_EntryIsThereWithTheAct()
    {
        var person = Guid.NewGuid();
        var serials = await SeedPhoneCertificatesAsync(person);
        var store = new LifecycleStore(_database.Factory);

        var changed = await store.ChangePersonAsync(person, phones => PhoneLifecycleRules.Suspend(phones, null, Now), null, ApplicationPurpose.New, Event("hotline.suspend", person.ToString()), CancellationToken.None);

        Assert.Equal(2, changed.Count);
        await using var db = _database.Open();
        var entry = await db.AuditEntries.SingleAsync();
        Assert.Equal(("hotline.suspend", person.ToString(), Now), (entry.Action, entry.Target, entry.At));
        Assert.All(await db.Certificates.Where(c => serials.Contains(c.Serial)).ToListAsync(), c => Assert.Equal((int)CertificateStatus.Suspended, c.Status));
    }

    [Fact]
    public async Task Suspend_NothingLive_NoEntry()
    {
        var store = new LifecycleStore(_database.Factory);

        Assert.Empty(await store.ChangePersonAsync(Guid.NewGuid(), phones => PhoneLifecycleRules.Suspend(phones, null, Now), null, ApplicationPurpose.New, Event("hotline.suspend", "x"), CancellationToken.None));

        await using var db = _database.Open();
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    [Theory]
    [InlineData(Failure.Commit)]
    [InlineData(Failure.AuditInsert)]
    public async Task AddOperator_FailsBeforeCommit_NeitherAccountNorEntry(Failure failure)
    {
        var store = new HotlineStore(SabotagedFactory());
        _sabotage.Arm(failure);

        await Assert.ThrowsAnyAsync<Exception>(() => store.TryAddOperatorAsync(Account("dave"), Event("operator.add", "dave"), CancellationToken.None));

        await using var db = _database.Open();
        Assert.Equal(0, await db.Operators.CountAsync());
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    [Theory]
    [InlineData(Failure.Commit)]
    [InlineData(Failure.AuditInsert)]
    public async Task Unlock_FailsBeforeCommit_LockStaysAndNoEntry(Failure failure)
    {
        var account = Account("erin");
        var plain = new HotlineStore(_database.Factory);
        Assert.True(await plain.TryAddOperatorAsync(account, Event("operator.add", "erin"), CancellationToken.None));
        await plain.CountSignInAttemptAsync(account.Id, "10.0.0.1", Now, _ => new SignInDecision(Now.AddHours(1), null), CancellationToken.None);
        var store = new HotlineStore(SabotagedFactory());
        _sabotage.Arm(failure);

        await Assert.ThrowsAnyAsync<Exception>(() => store.UnlockOperatorAsync(account.Id, Event("operator.unlock", "erin"), CancellationToken.None));

        await using var db = _database.Open();
        Assert.NotNull((await db.SignInThrottles.SingleAsync()).LockedUntil);
        Assert.Equal(["operator.add"], await db.AuditEntries.Select(e => e.Action).ToListAsync());
    }

    [Theory]
    [InlineData(Failure.Commit)]
    [InlineData(Failure.AuditInsert)]
    public async Task SignIn_FailsBeforeCommit_NeitherSessionNorEntry(Failure failure)
    {
        var account = Account("frank");
        var plain = new HotlineStore(_database.Factory);
        Assert.True(await plain.TryAddOperatorAsync(account, Event("operator.add", "frank"), CancellationToken.None));
        var attempt = await plain.CountSignInAttemptAsync(account.Id, "10.0.0.1", Now, _ => new SignInDecision(null, null), CancellationToken.None);
        var store = new HotlineStore(SabotagedFactory());
        _sabotage.Arm(failure);

        await Assert.ThrowsAnyAsync<Exception>(() => store.CompleteSignInAsync(account.Id, "10.0.0.1", attempt, Session(account), Event("operator.sign-in", "frank"), CancellationToken.None));

        await using var db = _database.Open();
        Assert.Equal(0, await db.OperatorSessions.CountAsync());
        Assert.Equal(1, await db.SignInThrottles.CountAsync());
        Assert.Equal(["operator.add"], await db.AuditEntries.Select(e => e.Action).ToListAsync());
    }

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    private static AuditEvent Event(string action, string target) => new("operator:alice", "supervisor", action, target, null, "127.0.0.1", "ok");

    private static OperatorAccount Account(string name)
    {
        var (hash, salt) = OperatorPasswords.Hash("correct horse battery", 1_000);
        return new OperatorAccount(Guid.NewGuid(), name, OperatorRules.Operator, hash, salt, 1_000, false, 0, Now);
    }

    private static OperatorSessionRecord Session(OperatorAccount account) => new(new string('c', 64), account.Id, Now, Now.AddHours(8), "10.0.0.1");


    private IDbContextFactory<MjpkiDbContext> SabotagedFactory()
    {
        var options = new DbContextOptionsBuilder<MjpkiDbContext>();
        MjpkiDatabase.Configure(options, provider, _database.ConnectionString);
        options.AddInterceptors(_sabotage);
        return new PooledDbContextFactory<MjpkiDbContext>(options.Options);
    }

    private async Task<string[]> SeedPhoneCertificatesAsync(Guid person)
    {
        await using var db = _database.Open();
        db.Persons.Add(new PersonEntity { Id = person, BirthDate = new DateOnly(1980, 1, 1), CreatedAt = Now });
        var serials = new[] { "aa01" + person.ToString("N")[..8], "aa02" + person.ToString("N")[..8] };
        var kinds = new[] { CertificateKind.PhoneSigning, CertificateKind.PhoneAuth };
        for (var i = 0; i < 2; i++)
        {
            db.Certificates.Add(new CertificateEntity
            {
                Serial = serials[i],
                Kind = (int)kinds[i],
                PersonId = person,
                PhoneId = "phone-" + person.ToString("N")[..8],
                Status = (int)CertificateStatus.Active,
                NotBefore = Now.AddDays(-1),
                NotAfter = Now.AddYears(1),
                Tbs = [0x30, 0x00],
                Der = [0x30, 0x00],
                CreatedAt = Now.AddDays(-1),
            });
        }

        await db.SaveChangesAsync();
        return serials;
    }

    /// <summary>Fails the next commit, or the next INSERT into AuditEntries, once armed.</summary>
    private sealed class Sabotage : IDbCommandInterceptor, IDbTransactionInterceptor
    {
        private Failure? _armed;

        public bool Fired { get; private set; }

        public void Arm(Failure failure) => _armed = failure;

        public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            FailOnAuditInsert(command);
            return ValueTask.FromResult(result);
        }

        public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            FailOnAuditInsert(command);
            return ValueTask.FromResult(result);
        }

        public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (_armed == Failure.Commit)
            {
                Fired = true;
                throw new IOException("injected: the process died before the commit");
            }

            return ValueTask.FromResult(result);
        }

        private void FailOnAuditInsert(DbCommand command)
        {
            if (_armed == Failure.AuditInsert && command.CommandText.Contains("INSERT INTO \"AuditEntries\"", StringComparison.Ordinal))
            {
                Fired = true;
                throw new IOException("injected: the audit entry could not be written");
            }
        }
    }
}

public sealed class AuditAtomicitySqliteTests() : AuditAtomicityTests(StorageProvider.Sqlite);

public sealed class AuditAtomicityPostgresTests() : AuditAtomicityTests(StorageProvider.Postgres);
