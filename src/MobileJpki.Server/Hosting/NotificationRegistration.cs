using Microsoft.Extensions.Options;
using MobileJpki.Notifications;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Wires the outbox worker, its senders and the VAPID key from <c>Notifications</c> options.</summary>
public static class NotificationRegistration
{
    public static IServiceCollection AddMobileJpkiNotifications(this IServiceCollection services, IConfiguration config, string dataDirectory)
    {
        var section = config.GetSection("Notifications");
        var options = section.Get<NotificationOptions>() ?? new NotificationOptions();
        options.Validate();
        services.AddSingleton(options);

        // The SMTP settings are read at every send, so a changed relay applies without a restart (and waiting
        // e-mails go out through it at their next attempt).
        services.Configure<NotificationOptions>(section);

        services.AddSingleton<OutboxStore>();
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<OutboxStore>());
        services.AddSingleton(sp => string.IsNullOrEmpty(options.WebPush.PrivateKey)
            ? VapidKeys.LoadOrCreate(Path.Combine(dataDirectory, "vapid.pem"))
            : VapidKeys.FromBase64Url(options.WebPush.PublicKey, options.WebPush.PrivateKey));
        services.AddSingleton<IEmailSender>(sp =>
        {
            var monitor = sp.GetRequiredService<IOptionsMonitor<NotificationOptions>>();
            return new SmtpEmailSender(() => monitor.CurrentValue.Smtp);
        });
        // Outside the sandbox a push goes only to public addresses, checked at subscription and again at every connection.
        services.AddSingleton(sp => new PushTargets(sp.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled));
        services.AddSingleton<IWebPushSender>(sp => new HttpWebPushSender(
            new HttpClient(sp.GetRequiredService<PushTargets>().CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<VapidKeys>(),
            options.WebPush,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<OutboxWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxWorker>());
        return services;
    }
}
