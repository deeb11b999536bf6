using System.Buffers.Binary;
using Microsoft.EntityFrameworkCore;

namespace MobileJpki.Storage;

/// <summary>
/// The sandbox clock's offset in the database (a row of ServiceKeys, the table of values every node shares), so a
/// restarted node and every other node see the same "now". The offset only grows: a write never lowers it, whichever
/// node writes last.
/// </summary>
public sealed class SandboxClockStore(IDbContextFactory<MjpkiDbContext> contexts)
{
    public const string Name = "sandbox-clock-offset";

    private const int Attempts = 20;

    /// <summary>The stored offset, or zero when the clock was never moved.</summary>
    public async Task<TimeSpan> ReadAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return Decode(await ReadRawAsync(db, ct));
    }

    /// <summary>Raises the stored offset to at least <paramref name="offset"/> and returns the stored value (the larger).</summary>
    public async Task<TimeSpan> AdvanceToAsync(TimeSpan offset, CancellationToken ct)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var raw = await ReadRawAsync(db, ct);
            if (raw is null)
            {
                var value = Encode(offset);
                await db.Database.ExecuteSqlAsync($"""INSERT INTO "ServiceKeys" ("Name", "Value", "CreatedAt") VALUES ({Name}, {value}, {0L}) ON CONFLICT ("Name") DO NOTHING""", ct);
                continue; // read back what won
            }

            var stored = Decode(raw);
            if (stored >= offset)
            {
                return stored;
            }

            // Compare-and-set on the old value: a concurrent writer makes this match nothing, and the loop re-reads.
            var next = Encode(offset);
            if (await db.ServiceKeys.Where(k => k.Name == Name && k.Value == raw).ExecuteUpdateAsync(s => s.SetProperty(k => k.Value, next), ct) == 1)
            {
                return offset;
            }
        }

        throw new InvalidOperationException("The sandbox clock could not be stored: too many concurrent changes.");
    }

    private static Task<byte[]?> ReadRawAsync(MjpkiDbContext db, CancellationToken ct) =>
        db.ServiceKeys.AsNoTracking().Where(k => k.Name == Name).Select(k => k.Value).FirstOrDefaultAsync(ct)!;

    private static byte[] Encode(TimeSpan offset)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, offset.Ticks);
        return bytes;
    }

    private static TimeSpan Decode(byte[]? raw) => raw is { Length: 8 } ? TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(raw)) : TimeSpan.Zero;
}
