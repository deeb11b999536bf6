using MobileJpki.Ra.Portal;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires logins to the portal, kiosks and hospital readers from <c>Portal</c> options (docs/relying-parties.md).</summary>
public static class PortalRegistration
{
    public static IServiceCollection AddMobileJpkiPortal(this IServiceCollection services, IConfiguration config, string dataDirectory)
    {
        var options = config.GetSection("Portal").Get<PortalOptions>() ?? new PortalOptions();

        // Terminals that are not configured are let in only in sandbox mode.
        options.OpenTerminals = config.GetSection("Sandbox").Get<SandboxOptions>()?.Enabled == true;
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(_ => DocumentSigner.LoadOrCreate(Path.Combine(dataDirectory, "keys", "document-signing.key.pem")));
        services.AddSingleton<IServiceKeyStore, ServiceKeyStore>();
        services.AddSingleton<LoginChallenges>();
        services.AddSingleton<ILoginWriter, LoginBatchWriter>();
        services.AddSingleton<PortalLogin>();
        services.AddSingleton<Kiosk>();
        services.AddSingleton<Hospital>();
        return services;
    }
}
