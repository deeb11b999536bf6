using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires WFE → RA → CA → SA from validated options.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddMobileJpki(this IServiceCollection services, IConfiguration config)
    {
        var storage = config.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        storage.Validate();
        var pki = config.GetSection("Pki").Get<PkiOptions>() ?? new PkiOptions();
        var ra = config.GetSection("Ra").Get<RaOptions>() ?? new RaOptions();
        ra.SupportedModels = PhoneModels.SupportedModels.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        ra.Validate();

        services.Configure<SandboxOptions>(config.GetSection("Sandbox"));
        services.Configure<OfficeOptions>(config.GetSection("Office"));
        services.AddOptions<TrustAnchorOptions>().Bind(config.GetSection(TrustAnchorOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrustAnchorOptions>, TrustAnchorValidator>();
        services.AddSingleton<SeMakerTrustAnchors>();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.MaxDepth = ProtocolJson.Options.MaxDepth;
            o.SerializerOptions.DefaultIgnoreCondition = ProtocolJson.Options.DefaultIgnoreCondition;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);

        services.AddSingleton(sp => new SandboxClock(TimeProvider.System));
        services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<SandboxClock>());
        services.AddSingleton<SandboxClockStore>();
        services.AddSingleton<SandboxClockSync>();
        services.AddSingleton(pki);
        services.AddSingleton(ra);
        services.AddSingleton(new ProcessingWindow(ra.Window));

        services.AddSingleton(storage);
        services.AddPooledDbContextFactory<MjpkiDbContext>(o => MjpkiDatabase.Configure(o, storage.ParsedProvider, storage.ConnectionString));
        services.AddSingleton(new StorageNode(storage.NodeId ?? StorageNode.DefaultId(), storage.ClaimLease, TimeProvider.System));
        services.AddSingleton<StorageAuthority>();
        services.AddSingleton<IRaStore>(sp => sp.GetRequiredService<StorageAuthority>());
        services.AddSingleton<ICertificateLedger>(sp => sp.GetRequiredService<StorageAuthority>());

        services.AddSingleton<IKeyProvider>(sp => KeyProviders.ForOptions(pki));
        services.AddSingleton(sp => CaHierarchy.LoadOrCreate(pki, sp.GetRequiredService<IKeyProvider>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new CertificateIssuer(sp.GetRequiredService<CaHierarchy>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ICertificateAuthority, CertificateAuthority>();

        services.AddSingleton<PhoneNotifier>();
        services.AddSingleton<IPhoneNotifier>(sp => sp.GetRequiredService<PhoneNotifier>());
        services.AddSingleton(sp => new ApplicationVerifier(
            sp.GetRequiredService<IRaStore>(),
            sp.GetRequiredService<CaHierarchy>().CertificateFor(MobileJpki.Core.Hierarchy.Signing),
            sp.GetRequiredService<SeMakerTrustAnchors>().Roots,
            ra,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RegistrationAuthority>();
        services.AddSingleton<ILifecycleStore, LifecycleStore>();
        services.AddSingleton<CertificateLifecycle>();
        services.AddSingleton<MobileJpki.Ra.Office.IOfficeStore, OfficeStore>();
        services.AddSingleton<MobileJpki.Ra.Office.MunicipalOffice>();
        // The SE management key signs phone PIN reset authorisations: a software key beside the OCSP responder's
        // (data directory), certified by each CA through the same delegated-certificate mechanism.
        services.AddSingleton(sp => MobileJpki.Core.SeManagement.SeManagementCertificates.Create(
            Enum.GetValues<MobileJpki.Core.Hierarchy>().Select(h => new MobileJpki.Core.Delegation.DelegatedIssuer(h, sp.GetRequiredService<CaHierarchy>().CertificateFor(h), sp.GetRequiredService<CaHierarchy>().SignerFor(h))),
            Path.Combine(pki.DataDirectory, "se-management"),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ISeManagementSigner>(sp => new SeManagementSigner(sp.GetRequiredService<MobileJpki.Core.Delegation.DelegatedCertificates<MobileJpki.Core.Delegation.DelegatedSigner>>()));
        services.AddSingleton<PhoneLifecycle>();
        services.AddSingleton<CertificateAuthenticator>();
        services.AddSingleton<ISessionStore, SessionStore>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<IUsageLog, UsageLogStore>();
        services.AddSingleton<IEApplicationStore, EApplicationStore>();
        services.AddSingleton<EApplicationService>();
        services.AddSingleton<IssuanceWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<IssuanceWorker>());
        services.AddMobileJpkiNotifications(config, pki.DataDirectory);
        services.AddMobileJpkiRevocation(config);
        services.AddMobileJpkiHotline(config);
        MobileJpki.Server.Oidc.OidcRegistration.AddMobileJpkiOidc(services, config, pki.DataDirectory);
        services.AddMobileJpkiPortal(config, pki.DataDirectory);
        return services;
    }

    /// <summary>
    /// Migrates the database (docs/operations.md, "Database migrations") and creates the CA hierarchy on first start,
    /// so failures surface before serving.
    /// </summary>
    public static async Task InitializeMobileJpkiAsync(this IServiceProvider services)
    {
        // Trust anchors first: a production start without them stops here, naming what is missing.
        _ = services.GetRequiredService<IOptions<TrustAnchorOptions>>().Value;
        var pki = services.GetRequiredService<PkiOptions>();
        PrivateFiles.CreateDirectory(pki.DataDirectory);
        var storage = services.GetRequiredService<StorageOptions>();
        await MjpkiDatabase.MigrateAsync(storage.ParsedProvider, storage.ConnectionString);
        if (services.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled)
        {
            // Before any worker reads the clock: after a restart "now" continues where the sandbox left it.
            await services.GetRequiredService<SandboxClockSync>().RestoreAsync(CancellationToken.None);
        }

        _ = services.GetRequiredService<CaHierarchy>();
    }
}
