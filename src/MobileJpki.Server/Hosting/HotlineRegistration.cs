using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Ra;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires the hotline (operator console) and the audit log from <c>Hotline</c> options.</summary>
public static class HotlineRegistration
{
    public static IServiceCollection AddMobileJpkiHotline(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("Hotline").Get<HotlineOptions>() ?? new HotlineOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<IAuditReader>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<IHotlineStore, HotlineStore>();
        services.TryAddSingleton<IOperatorPasswords, Pbkdf2OperatorPasswords>();
        services.AddSingleton<HotlineService>();
        services.AddHostedService<HotlineBootstrap>();

        // Signed checkpoints of the audit log's head, on demand and on a schedule.
        var audit = config.GetSection("Audit").Get<AuditOptions>() ?? new AuditOptions();
        audit.Validate();
        services.AddSingleton(audit);
        services.AddSingleton<IAuditKeyStore, ServiceKeyStore>();
        services.AddSingleton<AuditCheckpoints>();
        services.AddSingleton<AuditCheckpointWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditCheckpointWorker>());
        return services;
    }
}

/// <summary>
/// Creates the first supervisor on start: from <c>Hotline:BootstrapSupervisor</c>, or in sandbox mode, when none is
/// configured and no supervisor exists, one named "supervisor" with a random password written to a 0600 file in the
/// data directory (the log says where, never the password).
/// </summary>
internal sealed partial class HotlineBootstrap(
    HotlineService hotline,
    HotlineOptions options,
    IOptions<SandboxOptions> sandbox,
    MobileJpki.Pki.PkiOptions pki,
    ILogger<HotlineBootstrap> logger) : IHostedService
{
    public const string SandboxSupervisorName = "supervisor";

    public const string PasswordFileName = "hotline-supervisor.txt";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.BootstrapSupervisor;
        if (!string.IsNullOrEmpty(configured.Name) && !string.IsNullOrEmpty(configured.Password))
        {
            if (await hotline.BootstrapSupervisorAsync(configured.Name, configured.Password, cancellationToken))
            {
                LogCreated(logger, configured.Name);
            }

            return;
        }

        if (!sandbox.Value.Enabled || await hotline.AnySupervisorAsync(cancellationToken))
        {
            return;
        }

        var file = Path.GetFullPath(Path.Combine(pki.DataDirectory, PasswordFileName));
        var temp = file + ".tmp";
        var password = MobileJpki.Ra.OperatorRules.NewPassword();
        PrivateFiles.CreateDirectory(pki.DataDirectory);

        // Written (0600) before the account exists and moved into place only once it does, so the file never names a password no account has.
        var fileOptions = PrivateFiles.Options(FileMode.Create);

        await using (var stream = new FileStream(temp, fileOptions))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync($"{SandboxSupervisorName}\n{password}");
        }

        if (await hotline.BootstrapSupervisorAsync(SandboxSupervisorName, password, cancellationToken))
        {
            File.Move(temp, file, overwrite: true);
            LogSandboxCreated(logger, SandboxSupervisorName, file);
        }
        else
        {
            File.Delete(temp);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the hotline supervisor {Name} from configuration")]
    private static partial void LogCreated(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox: created the hotline supervisor {Name}; its password is in {File} (mode 0600)")]
    private static partial void LogSandboxCreated(ILogger logger, string name, string file);
}
