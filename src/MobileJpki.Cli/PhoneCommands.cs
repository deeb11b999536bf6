using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Device;

namespace MobileJpki.Cli;

/// <summary><c>mjpki phone …</c>: virtual phones.</summary>
internal static class PhoneCommands
{
    public static void Add(RootCommand root)
    {
        var phone = new Command("phone", "Virtual phones");
        root.Subcommands.Add(phone);

        var output = Common.Required("--out", "Phone file to write");
        var model = Common.Required("--model", "Model id (see `mjpki phone models`)");
        var force = new Option<bool>("--force") { Description = "Overwrite an existing phone file" };
        var create = new Command("new", "Make a new virtual phone with its secure element") { output, model, force };
        create.Handle((p, ct) =>
        {
            var path = p.GetValue(output)!;
            if (File.Exists(path) && !p.GetValue(force))
            {
                throw new AppException("exists", $"{path} already exists; use --force to replace it.");
            }

            var id = p.GetValue(model)!;
            if (PhoneModels.Find(id) is null)
            {
                throw new AppException("unknown-model", $"Unknown phone model '{id}'; see `mjpki phone models`.");
            }

            var created = VirtualPhone.Create(id, TimeProvider.System);
            created.Save(path);
            Console.WriteLine($"{created.Model.Maker} {created.Model.Name} ({created.OsVersion}) phone id {created.PhoneId}: {path}");
            if (!created.IsEligibleForService)
            {
                Console.WriteLine("この機種はスマホ用電子証明書に対応していません / This model is not offered smartphone certificates.");
            }

            return Task.CompletedTask;
        });
        phone.Subcommands.Add(create);

        var models = new Command("models", "Supported model ids, one per line");
        models.Handle((p, ct) =>
        {
            foreach (var m in PhoneModels.SupportedModels)
            {
                Console.WriteLine(m.Id);
            }

            return Task.CompletedTask;
        });
        phone.Subcommands.Add(models);

        var phoneFile = Common.Required("--phone", "Phone file");
        var certs = new Command("certs", "The certificates in the phone's secure element, in PEM") { phoneFile };
        certs.Handle((p, ct) =>
        {
            var vp = VirtualPhone.Load(p.GetValue(phoneFile)!);
            foreach (var cert in PortalApp.ReadCertificates(vp))
            {
                Console.WriteLine(cert.ExportCertificatePem());
            }

            return Task.CompletedTask;
        });
        phone.Subcommands.Add(certs);

        var factoryReset = new Command("factory-reset", "Factory reset: app data cleared, secure element kept") { phoneFile };
        factoryReset.Handle((p, ct) =>
        {
            var path = p.GetValue(phoneFile)!;
            var vp = VirtualPhone.Load(path);
            vp.FactoryReset();
            vp.Save(path);
            Console.WriteLine("初期化しました（安全領域のデータは残ります）/ Factory reset done (secure element data kept).");
            return Task.CompletedTask;
        });
        phone.Subcommands.Add(factoryReset);
    }
}
