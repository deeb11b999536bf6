using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Storage;

/// <summary>A value every node of one database shares (the login challenges' MAC key; the sandbox clock's offset, <see cref="SandboxClockStore"/>), created by the first node that needs it.</summary>
public sealed class ServiceKeyEntity
{
    /// <summary>What the key is for ("login-challenge-mac").</summary>
    public required string Name { get; set; }

    public required byte[] Value { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// Shared keys in the database: read, and when missing inserted with ON CONFLICT DO NOTHING and read again, so nodes
/// starting together all end up with the one key that won.
/// </summary>
public sealed class ServiceKeyStore(IDbContextFactory<MjpkiDbContext> contexts, TimeProvider time) : IServiceKeyStore, IAuditKeyStore
{
    public Task<byte[]> GetOrCreateAsync(string name, int length, CancellationToken ct) =>
        GetOrCreateAsync(name, () => RandomNumberGenerator.GetBytes(length), ct);

    public async Task<byte[]> GetOrCreateAsync(string name, Func<byte[]> create, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(create);
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (await ReadAsync(db, name, ct) is { } existing)
        {
            return existing;
        }

        var fresh = create();
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.Database.ExecuteSqlAsync($"""INSERT INTO "ServiceKeys" ("Name", "Value", "CreatedAt") VALUES ({name}, {fresh}, {at}) ON CONFLICT ("Name") DO NOTHING""", ct);
        return await ReadAsync(db, name, ct) ?? throw new InvalidOperationException($"the shared key '{name}' could not be stored");
    }

    private static Task<byte[]?> ReadAsync(MjpkiDbContext db, string name, CancellationToken ct) =>
        db.ServiceKeys.AsNoTracking().Where(k => k.Name == name).Select(k => k.Value).FirstOrDefaultAsync(ct)!;
}
