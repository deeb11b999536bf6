using Npgsql;

namespace MobileJpki.Tests.Shared;

/// <summary>
/// A database of its own (mjpki_&lt;guid&gt;) on the test PostgreSQL cluster that ./test.sh starts
/// (tests/services/postgres.sh exports <see cref="Variable"/>), dropped on dispose. Without the variable the
/// constructor throws, so a PostgreSQL test fails naming it instead of passing silently.
/// </summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public const string Variable = "MJPKI_TEST_POSTGRES";

    private readonly string _admin;

    public PostgresTestDatabase()
    {
        var admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            throw new InvalidOperationException(
                $"{Variable} is not set: the PostgreSQL tests need a server. Run ./test.sh (it starts one, tests/services/postgres.sh) "
                + $"or export {Variable}=\"Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres\".");
        }

        _admin = admin;
        Name = "mjpki_" + Guid.NewGuid().ToString("N");
        Execute($"CREATE DATABASE \"{Name}\"");
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = Name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>Connection string of this test's database.</summary>
    public string ConnectionString { get; }

    public void Dispose()
    {
        try
        {
            // FORCE ends the connections still pooled by the code under test.
            Execute($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The cluster is already gone; stop_postgres removes it with everything in it.
        }
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(_admin);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
