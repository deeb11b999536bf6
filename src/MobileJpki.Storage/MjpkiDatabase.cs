using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using MobileJpki.Core;
using Npgsql;

namespace MobileJpki.Storage;

/// <summary>The database engines the SA runs on (<c>Storage:Provider</c>).</summary>
public enum StorageProvider
{
    /// <summary>One file, one node (the default).</summary>
    Sqlite,

    /// <summary>One database shared by any number of nodes.</summary>
    Postgres,
}

/// <summary>
/// Opening and migrating the database for either provider, in one place for the server, the tests and the
/// design-time tools (docs/operations.md, "Database" and "Database migrations").
/// </summary>
public static class MjpkiDatabase
{
    /// <summary>
    /// How long (seconds) a PostgreSQL request waits for a connection unless the connection string sets <c>Timeout</c>.
    /// Npgsql spends this one budget both on connecting and on waiting for a free pooled connection, so it must cover a
    /// burst that keeps the pool busy (a short queue is not an outage); a database that is down refuses at once anyway.
    /// </summary>
    public const int DefaultPostgresConnectTimeoutSeconds = 15;

    /// <summary>"Sqlite", "Postgres" (or "PostgreSQL"), any case.</summary>
    public static bool TryParseProvider(string? name, out StorageProvider provider)
    {
        if (string.Equals(name, "PostgreSQL", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "Npgsql", StringComparison.OrdinalIgnoreCase))
        {
            provider = StorageProvider.Postgres;
            return true;
        }

        return Enum.TryParse(name, ignoreCase: true, out provider) && Enum.IsDefined(provider);
    }

    /// <summary>The connection string with the service's defaults filled in where it is silent.</summary>
    public static string WithDefaults(StorageProvider provider, string connectionString)
    {
        if (provider != StorageProvider.Postgres)
        {
            return connectionString;
        }

        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = DefaultPostgresConnectTimeoutSeconds;
        }

        return builder.ConnectionString;
    }

    /// <summary>Points <paramref name="options"/> at the database (the service's per-connection settings included).</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, StorageProvider provider, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        return provider switch
        {
            StorageProvider.Postgres => options.UseNpgsql(WithDefaults(provider, connectionString)),
            _ => options.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas()),
        };
    }

    /// <summary>
    /// Brings the schema up to date with the migrations of <paramref name="provider"/> (creating the database file's
    /// directory for SQLite and switching it to WAL). Safe to run from several nodes at once: EF Core takes a lock.
    /// </summary>
    public static async Task MigrateAsync(StorageProvider provider, string connectionString, CancellationToken ct = default)
    {
        await using var db = CreateMigrationsContext(provider, connectionString);
        if (provider == StorageProvider.Sqlite)
        {
            var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
            if (!string.IsNullOrEmpty(dataSource) && dataSource != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(dataSource)) is { } dir)
            {
                PrivateFiles.CreateDirectory(dir);
                CreatePrivateFile(dataSource);
            }

            await RefuseUnmigratedAsync(db, dataSource, ct);
        }

        await db.Database.MigrateAsync(ct);
        if (provider == StorageProvider.Sqlite)
        {
            // WAL lets readers run beside the single writer; synchronous=FULL (SqlitePragmas) keeps every commit durable.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }

    /// <summary>The context whose type carries <paramref name="provider"/>'s migrations (Migrations/Sqlite or Migrations/Postgres).</summary>
    public static MjpkiDbContext CreateMigrationsContext(StorageProvider provider, string connectionString) => provider switch
    {
        StorageProvider.Postgres => new PostgresMigrationsContext(
            (DbContextOptions<PostgresMigrationsContext>)Configure(new DbContextOptionsBuilder<PostgresMigrationsContext>(), provider, connectionString).Options),
        _ => new SqliteMigrationsContext(
            (DbContextOptions<SqliteMigrationsContext>)Configure(new DbContextOptionsBuilder<SqliteMigrationsContext>(), provider, connectionString).Options),
    };

    /// <summary>
    /// True when <paramref name="exception"/> (or one it wraps) says the database cannot be reached or cannot take
    /// work right now — connection refused or lost, a timeout, a server shutting down, a locked SQLite file — as
    /// opposed to a bug or a constraint. The HTTP edge answers these with 503 database-unavailable.
    /// </summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException or SocketException:
                    return true;
                case PostgresException pg:
                    return pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal);
                case NpgsqlException npgsql:
                    return npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException;
                case SqliteException sqlite:
                    // BUSY, LOCKED, IOERR, FULL, CANTOPEN.
                    return sqlite.SqliteErrorCode is 5 or 6 or 10 or 13 or 14;
                default:
                    break;
            }
        }

        return false;
    }

    /// <summary>True when a write failed only because a unique key (e.g. an application's nonce) already exists.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception?.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 or 1555, // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
        _ => false,
    };

    /// <summary>A file made by EnsureCreated before the service had migrations would fail half-way; say so instead.</summary>
    /// <summary>
    /// Creates the database file empty and 0600 before SQLite opens it (SQLite would create it 0644, and gives its
    /// -wal and -shm files the database file's mode). An existing file is left alone; a node that loses the race to
    /// create it opens the winner's.
    /// </summary>
    private static void CreatePrivateFile(string dataSource)
    {
        try
        {
            using var created = new FileStream(Path.GetFullPath(dataSource), PrivateFiles.Options(FileMode.CreateNew));
        }
        catch (IOException) when (File.Exists(dataSource))
        {
        }
    }

    private static async Task RefuseUnmigratedAsync(MjpkiDbContext db, string dataSource, CancellationToken ct)
    {
        var tables = await db.Database
            .SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name IN ('Persons', '__EFMigrationsHistory')")
            .ToListAsync(ct);
        if (tables.Contains("Persons") && !tables.Contains("__EFMigrationsHistory"))
        {
            throw new InvalidOperationException(
                $"The SQLite database '{dataSource}' was created before the service used migrations; move it away (the service creates a new one) — see docs/operations.md, \"Database migrations\".");
        }
    }
}

/// <summary>Carries the SQLite migrations (Migrations/Sqlite); the same model as <see cref="MjpkiDbContext"/>.</summary>
public sealed class SqliteMigrationsContext(DbContextOptions<SqliteMigrationsContext> options) : MjpkiDbContext(options);

/// <summary>Carries the PostgreSQL migrations (Migrations/Postgres); the same model as <see cref="MjpkiDbContext"/>.</summary>
public sealed class PostgresMigrationsContext(DbContextOptions<PostgresMigrationsContext> options) : MjpkiDbContext(options);

/// <summary>For <c>dotnet ef migrations add … --context SqliteMigrationsContext</c>; needs no database.</summary>
public sealed class SqliteMigrationsDesignFactory : IDesignTimeDbContextFactory<SqliteMigrationsContext>
{
    public SqliteMigrationsContext CreateDbContext(string[] args) =>
        (SqliteMigrationsContext)MjpkiDatabase.CreateMigrationsContext(StorageProvider.Sqlite, "Data Source=design-time.db");
}

/// <summary>For <c>dotnet ef migrations add … --context PostgresMigrationsContext</c>; needs no database.</summary>
public sealed class PostgresMigrationsDesignFactory : IDesignTimeDbContextFactory<PostgresMigrationsContext>
{
    public PostgresMigrationsContext CreateDbContext(string[] args) =>
        (PostgresMigrationsContext)MjpkiDatabase.CreateMigrationsContext(StorageProvider.Postgres, "Host=localhost;Database=mjpki");
}
