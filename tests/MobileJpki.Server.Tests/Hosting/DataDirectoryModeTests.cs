using Microsoft.AspNetCore.Hosting;

namespace MobileJpki.Server.Tests.Hosting;

/// <summary>
/// A server started on a data directory and a database folder that do not exist yet creates every folder 0700 and
/// the database and key files 0600, by the call that creates them (docs/security.md, "Secrets at rest and in the CLI").
/// </summary>
public sealed class DataDirectoryModeTests : IClassFixture<DataDirectoryModeTests.FreshServer>
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = PrivateFile | UnixFileMode.UserExecute;
    private readonly FreshServer server;

    public DataDirectoryModeTests(FreshServer server)
    {
        this.server = server;
    }

    [Fact]
    public async Task Start_FreshDataDirectory_FoldersCreated0700FilesWithSecrets0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // The first request starts the host (migration, CA, OIDC keys, responder keys on first OCSP/CRL use).
        using var health = await server.Client.GetAsync(new Uri("/api/v1/time", UriKind.Relative));

        foreach (var folder in new[] { server.Data, Path.Combine(server.Data, "keys"), Path.Combine(server.Data, "ca"), server.DatabaseFolder })
        {
            Assert.True(Directory.Exists(folder), folder);
        }

        // Every folder the server made, including those made on first use (oidc, ocsp, simulator).
        var folders = Directory.GetDirectories(server.Data, "*", SearchOption.AllDirectories).Append(server.Data).Append(Path.Combine(server.Root, "data"));
        foreach (var folder in folders)
        {
            Assert.True(PrivateDirectory == File.GetUnixFileMode(folder), folder);
        }

        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(server.DatabaseFolder));
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(Path.Combine(server.Root, "db")));

        var database = Path.Combine(server.DatabaseFolder, "t.db");
        Assert.Equal(PrivateFile, File.GetUnixFileMode(database));
        foreach (var journal in new[] { database + "-wal", database + "-shm" }.Where(File.Exists))
        {
            Assert.Equal(PrivateFile, File.GetUnixFileMode(journal));
        }

        var secrets = Directory.GetFiles(server.Data, "*.pem", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(server.Data, "*.key", SearchOption.AllDirectories))
            .ToList();
        Assert.NotEmpty(secrets);
        foreach (var secret in secrets)
        {
            Assert.True(PrivateFile == File.GetUnixFileMode(secret), secret);
        }
    }

    /// <summary>The usual test server, but its data directory and database folder are below its root and not created beforehand.</summary>
    public sealed class FreshServer : MjpkiServer
    {
        public string Data => Path.Combine(Root, "data", "nested");

        public string DatabaseFolder => Path.Combine(Root, "db", "nested");

        protected override string ServerConnectionString => $"Data Source={Path.Combine(DatabaseFolder, "t.db")}";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Pki:DataDirectory", Data);
        }
    }
}
