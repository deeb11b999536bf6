using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Storage settings (docs/operations.md, "Configuration" and "Database"): <c>Storage:Provider</c>,
/// <c>Storage:ConnectionString</c>, <c>Storage:NodeId</c>, <c>Storage:ClaimLease</c>; as environment variables
/// <c>Storage__Provider</c> and so on.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>"Sqlite" (default: one file, one node) or "Postgres" (one database, any number of nodes).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// Default: a file under ./data. For Postgres an Npgsql connection string
    /// (<c>Host=…;Port=5432;Username=…;Password=…;Database=mjpki</c>); unless it sets <c>Timeout</c>, a request waits
    /// up to <see cref="MjpkiDatabase.DefaultPostgresConnectTimeoutSeconds"/> s for a connection (connecting or pooled).
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=./data/mjpki.db";

    /// <summary>This node's id on a shared database. Default: host name and process id. Set a stable unique name
    /// (e.g. the pod name) so a restarted node takes back its own claimed applications at once.</summary>
    public string? NodeId { get; set; }

    /// <summary>How long another node's claim on an application is respected before a starting node requeues it. Default 5 minutes.</summary>
    public TimeSpan ClaimLease { get; set; } = StorageNode.DefaultClaimLease;

    public StorageProvider ParsedProvider => MjpkiDatabase.TryParseProvider(Provider, out var p)
        ? p
        : throw new InvalidOperationException($"Storage:Provider '{Provider}' is not supported; use 'Sqlite' or 'Postgres'.");

    public void Validate()
    {
        _ = ParsedProvider;
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("Storage:ConnectionString is required.");
        }

        if (ClaimLease <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Storage:ClaimLease must be positive.");
        }

        if (NodeId is { Length: 0 or > 128 })
        {
            throw new InvalidOperationException("Storage:NodeId must be 1 to 128 characters.");
        }
    }
}

/// <summary>Sandbox mode: the admin clock endpoint. On by default for the main job, off in Production.</summary>
public sealed class SandboxOptions
{
    public bool Enabled { get; set; }
}

/// <summary>Municipal office API access.</summary>
public sealed class OfficeOptions
{
    /// <summary>Bearer key for the office API. Empty: open in sandbox mode, closed otherwise.</summary>
    public string ApiKey { get; set; } = string.Empty;
}
