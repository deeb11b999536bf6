using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace MobileJpki.Storage;

/// <summary>
/// The service's database. Only MobileJpki.Storage touches it. The two derived contexts in MjpkiDatabase.cs
/// only carry each provider's migrations; the service itself always works through this type.
/// </summary>
public class MjpkiDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<PersonEntity> Persons => Set<PersonEntity>();

    public DbSet<CertificateEntity> Certificates => Set<CertificateEntity>();

    public DbSet<PhoneEntity> Phones => Set<PhoneEntity>();

    public DbSet<ApplicationEntity> Applications => Set<ApplicationEntity>();

    public DbSet<NotificationEntity> Notifications => Set<NotificationEntity>();

    public DbSet<OutboxMessageEntity> Outbox => Set<OutboxMessageEntity>();

    public DbSet<WebPushSubscriptionEntity> WebPushSubscriptions => Set<WebPushSubscriptionEntity>();

    public DbSet<OcspResponseEntity> OcspResponses => Set<OcspResponseEntity>();

    public DbSet<CrlStateEntity> CrlStates => Set<CrlStateEntity>();

    public DbSet<OperatorEntity> Operators => Set<OperatorEntity>();

    public DbSet<OperatorSessionEntity> OperatorSessions => Set<OperatorSessionEntity>();

    public DbSet<AuditEntryEntity> AuditEntries => Set<AuditEntryEntity>();

    public DbSet<ChallengeEntity> Challenges => Set<ChallengeEntity>();

    public DbSet<SessionEntity> Sessions => Set<SessionEntity>();

    public DbSet<UsageEntity> Usage => Set<UsageEntity>();

    public DbSet<DeviceLinkEntity> DeviceLinks => Set<DeviceLinkEntity>();

    public DbSet<SignTransactionEntity> SignTransactions => Set<SignTransactionEntity>();

    public DbSet<EApplicationEntity> EApplications => Set<EApplicationEntity>();

    public DbSet<ServiceKeyEntity> ServiceKeys => Set<ServiceKeyEntity>();

    public DbSet<OperatorSignInThrottleEntity> SignInThrottles => Set<OperatorSignInThrottleEntity>();

    /// <summary>Saves, ending first the sessions of certificates this save suspends or revokes (same transaction).</summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        await CertificateStatusChanges.EndSessionsOfStoppedAsync(this, cancellationToken);
        return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>Not offered: the service saves asynchronously only, and a synchronous save would skip the sessions' end.</summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        throw new NotSupportedException("MjpkiDbContext saves asynchronously only (SaveChangesAsync).");

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Instants are stored as UTC milliseconds so every provider can compare and order them in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UnixMillisecondsConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PersonEntity>(e =>
        {
            e.HasKey(p => p.Id);

            // The hotline finds a caller by birth date first, then checks name and address on the few matches.
            e.HasIndex(p => p.BirthDate);
        });
        modelBuilder.Entity<CertificateEntity>(e =>
        {
            e.HasKey(c => c.Serial);
            e.Property(c => c.Serial).HasMaxLength(40);
            e.HasIndex(c => c.PersonId);
            e.HasIndex(c => c.PhoneId);
            e.Property(c => c.PhoneId).HasMaxLength(64);
            e.Property(c => c.RevocationReason).HasMaxLength(64);
            e.HasIndex(c => new { c.Status, c.Kind });
            e.HasIndex(c => c.StatusChangedAt);
        });
        modelBuilder.Entity<PhoneEntity>(e =>
        {
            e.HasKey(p => p.PhoneId);
            e.Property(p => p.PhoneId).HasMaxLength(64);
            e.Property(p => p.Model).HasMaxLength(64);
            e.Property(p => p.Os).HasMaxLength(64);
        });
        modelBuilder.Entity<ApplicationEntity>(e =>
        {
            e.HasKey(a => a.Id);
            e.HasIndex(a => a.Nonce).IsUnique();
            e.HasIndex(a => new { a.Status, a.ProcessAfter });
            e.HasIndex(a => a.PhoneId);
            e.Property(a => a.PhoneId).HasMaxLength(64);
            e.Property(a => a.Nonce).HasMaxLength(100);
            e.Property(a => a.CardSigningSerial).HasMaxLength(40);
            e.Property(a => a.Email).HasMaxLength(254);
            e.Property(a => a.ClaimedBy).HasMaxLength(128);
        });
        modelBuilder.Entity<OutboxMessageEntity>(e =>
        {
            e.HasKey(o => o.Id);
            e.HasIndex(o => o.IdempotencyKey).IsUnique();
            e.HasIndex(o => new { o.DeliveredAt, o.NextAttemptAt });
            e.Property(o => o.Channel).HasMaxLength(16);
            e.Property(o => o.Recipient).HasMaxLength(512);
            e.Property(o => o.IdempotencyKey).HasMaxLength(128);
            e.Property(o => o.LastError).HasMaxLength(256);
        });
        modelBuilder.Entity<WebPushSubscriptionEntity>(e =>
        {
            e.HasKey(w => w.Id);
            e.HasIndex(w => w.PhoneId);
            e.Property(w => w.PhoneId).HasMaxLength(64);
            e.Property(w => w.Endpoint).HasMaxLength(1024);
            e.Property(w => w.P256dh).HasMaxLength(128);
            e.Property(w => w.Auth).HasMaxLength(64);
        });
        modelBuilder.Entity<OcspResponseEntity>(e =>
        {
            e.HasKey(o => o.Serial);
            e.Property(o => o.Serial).HasMaxLength(40);
            e.HasIndex(o => o.UpdatedAt);
            e.HasIndex(o => new { o.Stale, o.NextUpdate });
        });
        modelBuilder.Entity<CrlStateEntity>(e => e.HasKey(c => new { c.Hierarchy, c.Shard }));
        modelBuilder.Entity<OperatorEntity>(e =>
        {
            e.HasKey(o => o.Id);
            e.HasIndex(o => o.Name).IsUnique();
            e.Property(o => o.Name).HasMaxLength(64);
            e.Property(o => o.Role).HasMaxLength(16);
        });
        modelBuilder.Entity<OperatorSessionEntity>(e =>
        {
            e.HasKey(s => s.TokenHash);
            e.Property(s => s.TokenHash).HasMaxLength(64);
            e.HasIndex(s => s.OperatorId);
            e.Property(s => s.Source).HasMaxLength(64);
        });
        modelBuilder.Entity<AuditEntryEntity>(e =>
        {
            // Assigned by the writer (under a lock), never by the database: the chain's order is the sequence.
            e.HasKey(a => a.Sequence);
            e.Property(a => a.Sequence).ValueGeneratedNever();
            e.Property(a => a.Actor).HasMaxLength(128);
            e.Property(a => a.Role).HasMaxLength(16);
            e.Property(a => a.Action).HasMaxLength(64);
            e.Property(a => a.Target).HasMaxLength(128);
            e.Property(a => a.Reason).HasMaxLength(512);
            e.Property(a => a.Source).HasMaxLength(64);
            e.Property(a => a.Outcome).HasMaxLength(64);
            e.Property(a => a.PreviousHash).HasMaxLength(64);
            e.Property(a => a.Hash).HasMaxLength(64);
        });
        modelBuilder.Entity<OperatorSignInThrottleEntity>(e =>
        {
            e.ToTable("OperatorSignInThrottles");
            e.HasKey(t => new { t.OperatorId, t.Source });
            e.Property(t => t.Source).HasMaxLength(64);
        });
        modelBuilder.Entity<ChallengeEntity>(e =>
        {
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).HasMaxLength(64);
            e.Property(c => c.Purpose).HasMaxLength(32);
            e.Property(c => c.Subject).HasMaxLength(128);
            e.HasIndex(c => c.ExpiresAt);
        });
        modelBuilder.Entity<ServiceKeyEntity>(e =>
        {
            e.HasKey(k => k.Name);
            e.Property(k => k.Name).HasMaxLength(64);
        });
        modelBuilder.Entity<SessionEntity>(e =>
        {
            e.HasKey(x => x.TokenHash);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.Property(x => x.Audience).HasMaxLength(16);
            e.Property(x => x.CertificateSerial).HasMaxLength(40);
            e.Property(x => x.Party).HasMaxLength(128);
            e.HasIndex(x => x.PersonId);
            e.HasIndex(x => x.ExpiresAt);
        });
        modelBuilder.Entity<UsageEntity>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.CertificateSerial).HasMaxLength(40);
            e.Property(x => x.Party).HasMaxLength(128);
            e.Property(x => x.Detail).HasMaxLength(256);
            e.HasIndex(x => new { x.PersonId, x.Id });
        });
        modelBuilder.Entity<DeviceLinkEntity>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Code).HasMaxLength(16);
            e.HasIndex(x => x.Code);
            e.Property(x => x.Purpose).HasMaxLength(32);
            e.Property(x => x.CertificateSerial).HasMaxLength(40);
            e.HasIndex(x => x.ExpiresAt);
        });
        modelBuilder.Entity<SignTransactionEntity>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.ClientId).HasMaxLength(128);
            e.Property(x => x.Description).HasMaxLength(512);
            e.HasIndex(x => x.DeviceLinkId);
            e.HasIndex(x => x.PersonId);
        });
        modelBuilder.Entity<EApplicationEntity>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Type).HasMaxLength(32);
            e.Property(x => x.CertificateSerial).HasMaxLength(40);
            e.Property(x => x.Summary).HasMaxLength(256);
            e.Property(x => x.Status).HasMaxLength(16);
            e.HasIndex(x => new { x.PersonId, x.SubmittedAt });
            e.HasIndex(x => x.SignedDigest).IsUnique();
        });

        // OpenIddict's stores (relying parties as applications, authorizations, scopes, tokens) share the database.
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<NotificationEntity>(e =>
        {
            e.HasKey(n => n.Id);
            e.HasIndex(n => new { n.PhoneId, n.Id });
            e.Property(n => n.PhoneId).HasMaxLength(64);
        });
    }

    private sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v));
}
