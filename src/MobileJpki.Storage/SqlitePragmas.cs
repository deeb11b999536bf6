using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace MobileJpki.Storage;

/// <summary>
/// Per-connection SQLite settings: every commit reaches the disk (synchronous=FULL) and writers wait
/// for each other instead of failing with "database is locked".
/// </summary>
public sealed class SqlitePragmas(string synchronous = "FULL") : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000;";
        command.ExecuteNonQuery();
    }
}
