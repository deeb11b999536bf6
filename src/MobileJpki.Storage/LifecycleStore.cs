using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;

namespace MobileJpki.Storage;

/// <summary>The SA side of the certificate lifecycle: each step one transaction under the person's lock.</summary>
public sealed partial class LifecycleStore(IDbContextFactory<MjpkiDbContext> contexts) : ILifecycleStore
{
    public async Task<IReadOnlyList<CertificateRecord>> GetPhoneCertificatesOfPersonAsync(Guid personId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = await db.Certificates.AsNoTracking()
            .Where(c => c.PersonId == personId && (c.Kind == (int)CertificateKind.PhoneSigning || c.Kind == (int)CertificateKind.PhoneAuth))
            .ToListAsync(ct);
        return rows.OrderByDescending(c => c.CreatedAt).Select(StorageMapping.ToRecord).ToArray();
    }
}
