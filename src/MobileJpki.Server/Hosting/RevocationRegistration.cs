using MobileJpki.Core;
using MobileJpki.Pki;
using MobileJpki.Revocation;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires the revocation service (OCSP responder, CRL publisher) to the CA keys and the SA's status reader.</summary>
public static class RevocationRegistration
{
    public static IServiceCollection AddMobileJpkiRevocation(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("Revocation").Get<RevocationOptions>() ?? new RevocationOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<IRevocationStatusReader, RevocationStatusReader>();
        services.AddSingleton<IReadOnlyList<RevocationIssuer>>(sp =>
        {
            var ca = sp.GetRequiredService<CaHierarchy>();
            return [.. Enum.GetValues<Hierarchy>().Select(h => new RevocationIssuer(h, ca.CertificateFor(h), ca.SignerFor(h)))];
        });
        services.AddSingleton(sp => new OcspResponder(
            sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(), sp.GetRequiredService<IRevocationStatusReader>(), sp.GetRequiredService<TimeProvider>(), options));
        services.AddSingleton(sp => new CrlPublisher(
            sp.GetRequiredService<IReadOnlyList<RevocationIssuer>>(), sp.GetRequiredService<IRevocationStatusReader>(), sp.GetRequiredService<TimeProvider>(), options));
        return services;
    }
}
