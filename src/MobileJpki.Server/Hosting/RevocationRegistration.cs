using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Revocation;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires the revocation service (OCSP responder, refresher and replica, CRL publisher) to the CA keys and the SA.</summary>
public static class RevocationRegistration
{
    public static IServiceCollection AddMobileJpkiRevocation(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("Revocation").Get<RevocationOptions>() ?? new RevocationOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<IRevocationStatusReader, RevocationStatusReader>();
        services.AddSingleton<IOcspResponseStore, OcspResponseStore>();
        services.AddSingleton<ICrlNumberStore, CrlNumberStore>();
        services.AddSingleton<IReadOnlyList<RevocationIssuer>>(sp =>
        {
            var ca = sp.GetRequiredService<CaHierarchy>();
            return [.. Enum.GetValues<Hierarchy>().Select(h => new RevocationIssuer(h, ca.CertificateFor(h), ca.SignerFor(h), ca.CrlPartitionBaseUrl(h)))];
        });

        // The responder key is a software key under the data directory even when the CA key is in an HSM.
        services.AddSingleton(sp => new ResponderCertificates(
            sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(),
            Path.Combine(sp.GetRequiredService<PkiOptions>().DataDirectory, "ocsp"),
            sp.GetRequiredService<TimeProvider>(),
            options));
        services.AddSingleton<IOcspSigners>(sp => sp.GetRequiredService<ResponderCertificates>());

        // UpdatedAt follows the real clock, not the sandbox clock: replicas order rows by it.
        services.AddSingleton(sp => new OcspReplica(sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(), options, TimeProvider.System));
        services.AddSingleton(sp => new OcspRefresher(
            sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(),
            sp.GetRequiredService<IOcspSigners>(),
            sp.GetRequiredService<IOcspResponseStore>(),
            sp.GetRequiredService<OcspReplica>(),
            sp.GetRequiredService<TimeProvider>(),
            TimeProvider.System,
            options));
        services.AddSingleton(sp => new OcspResponder(
            sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(),
            sp.GetRequiredService<IOcspSigners>(),
            sp.GetRequiredService<OcspReplica>(),
            sp.GetRequiredService<IRevocationStatusReader>(),
            sp.GetRequiredService<TimeProvider>(),
            options));
        services.AddSingleton(sp =>
        {
            var publisher = new CrlPublisher(
                sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(),
                sp.GetRequiredService<IRevocationStatusReader>(),
                sp.GetRequiredService<ICrlNumberStore>(),
                sp.GetRequiredService<TimeProvider>(),
                options);

            // A status change seen by the replica (from any node) makes this node's CRLs of that CA stale: the next
            // request rebuilds them, so holds, their lifting and revocations show within the replica's poll interval.
            sp.GetRequiredService<OcspReplica>().StatusChanged += publisher.Invalidate;
            return publisher;
        });
        services.AddHostedService<RevocationWorker>();
        return services;
    }
}
