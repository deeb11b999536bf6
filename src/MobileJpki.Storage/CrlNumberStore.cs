using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Revocation.Crl;

namespace MobileJpki.Storage;

/// <summary>
/// cRLNumbers from table CrlStates: compare-and-set on the last number (one row per CA and partition), so numbers
/// only grow across restarts, nodes and clock changes, on SQLite and PostgreSQL alike, without a lock.
/// </summary>
public sealed class CrlNumberStore(IDbContextFactory<MjpkiDbContext> contexts) : ICrlNumberStore
{
    private const int Attempts = 20;

    public async Task<long> NextAsync(Hierarchy hierarchy, int partition, DateTimeOffset thisUpdate, CancellationToken ct)
    {
        var h = (int)hierarchy;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var last = await db.CrlStates.AsNoTracking().Where(s => s.Hierarchy == h && s.Shard == partition).Select(s => (long?)s.LastNumber).FirstOrDefaultAsync(ct);
            if (last is null)
            {
                db.CrlStates.Add(new CrlStateEntity { Hierarchy = h, Shard = partition, LastNumber = 1, LastThisUpdate = thisUpdate });
                try
                {
                    await db.SaveChangesAsync(ct);
                    return 1;
                }
                catch (DbUpdateException)
                {
                    continue; // another node created it: take the next number from its row
                }
            }

            var next = last.Value + 1;
            var updated = await db.CrlStates
                .Where(s => s.Hierarchy == h && s.Shard == partition && s.LastNumber == last.Value)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastNumber, next).SetProperty(c => c.LastThisUpdate, thisUpdate), ct);
            if (updated == 1)
            {
                return next;
            }
        }

        throw new InvalidOperationException("No cRLNumber could be taken: too many concurrent CRL builds.");
    }
}
