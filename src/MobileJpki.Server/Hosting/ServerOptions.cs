namespace MobileJpki.Server.Hosting;

/// <summary>Storage settings: <c>Storage:Provider</c> and <c>Storage:ConnectionString</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>"Sqlite" (default). PostgreSQL arrives with the production-parts work.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Default: a file under ./data.</summary>
    public string ConnectionString { get; set; } = "Data Source=./data/mjpki.db";

    public void Validate()
    {
        if (!string.Equals(Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Storage:Provider '{Provider}' is not supported; use 'Sqlite'.");
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("Storage:ConnectionString is required.");
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
