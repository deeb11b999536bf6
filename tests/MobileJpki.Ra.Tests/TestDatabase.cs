using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using MobileJpki.Storage;

namespace MobileJpki.Ra.Tests;

/// <summary>A fresh SQLite database file per test, created and configured as the server does (WAL).</summary>
internal sealed class TestDatabase : IDisposable
{
    /// <param name="interceptors">EF interceptors on every context, e.g. to make a step fail as a broken database would.</param>
    public TestDatabase(params IInterceptor[] interceptors)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mjpki-ra-tests", Guid.NewGuid().ToString("N") + ".db");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        ConnectionString = $"Data Source={Path}";
        var options = new DbContextOptionsBuilder<MjpkiDbContext>().UseSqlite(ConnectionString).AddInterceptors(interceptors).Options;
        Factory = new PooledDbContextFactory<MjpkiDbContext>(options);
        using var db = Factory.CreateDbContext();
        db.Database.EnsureCreated();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }

    public string Path { get; }

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
