using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using MobileJpki.Storage;
using MobileJpki.Tests.Shared;

namespace MobileJpki.Storage.Tests;

/// <summary>
/// A fresh database per test, created and configured as the server does (its migrations; WAL for SQLite): a SQLite
/// file in the temp directory, or a database of its own on the test PostgreSQL cluster.
/// </summary>
internal sealed class TestDatabase : IDisposable
{
    private readonly PostgresTestDatabase? _postgres;

    public TestDatabase(StorageProvider provider)
    {
        Provider = provider;
        if (provider == StorageProvider.Postgres)
        {
            _postgres = new PostgresTestDatabase();
            ConnectionString = _postgres.ConnectionString;
        }
        else
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mjpki-storage-tests", Guid.NewGuid().ToString("N") + ".db");
            ConnectionString = $"Data Source={Path}";
        }

        MjpkiDatabase.MigrateAsync(provider, ConnectionString).GetAwaiter().GetResult();
        var options = new DbContextOptionsBuilder<MjpkiDbContext>();
        MjpkiDatabase.Configure(options, provider, ConnectionString);
        Factory = new PooledDbContextFactory<MjpkiDbContext>(options.Options);
    }

    public StorageProvider Provider { get; }

    /// <summary>The SQLite file (null on PostgreSQL).</summary>
    public string? Path { get; }

    public string ConnectionString { get; }

    public IDbContextFactory<MjpkiDbContext> Factory { get; }

    public MjpkiDbContext Open() => Factory.CreateDbContext();

    /// <summary>Row counts of every table, to prove a rejected request stored nothing.</summary>
    public async Task<(int Persons, int Certificates, int Phones, int Applications, int Notifications)> CountsAsync()
    {
        await using var db = Open();
        return (
            await db.Persons.CountAsync(),
            await db.Certificates.CountAsync(),
            await db.Phones.CountAsync(),
            await db.Applications.CountAsync(),
            await db.Notifications.CountAsync());
    }

    public void Dispose()
    {
        _postgres?.Dispose();
        if (Path is null)
        {
            return;
        }

        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            try
            {
                File.Delete(Path + suffix);
            }
            catch (IOException)
            {
                // A leftover temp file is harmless.
            }
        }
    }
}
