using System.CommandLine;
using System.Security.Cryptography;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Cli;

/// <summary><c>mjpki ca init</c>: the key ceremony (docs/operations.md, "Key ceremony").</summary>
internal static class CaCommands
{
    public static void Add(RootCommand root)
    {
        var ca = new Command("ca", "Certificate authority administration (runs locally, not against a server)");
        root.Subcommands.Add(ca);

        var signingKey = Common.Required("--signing-key", "Key URI of the digital-signature root: soft:NAME or pkcs11:token=…;object=…?module-path=…&pin-source=file:…");
        var authKey = Common.Required("--auth-key", "Key URI of the user-authentication root");
        var dataDir = new Option<string>("--data-dir") { Description = "The server's Pki:DataDirectory", DefaultValueFactory = _ => new PkiOptions().DataDirectory };
        var baseUrl = new Option<string>("--base-url") { Description = "The server's Pki:BaseUrl (put into the certificates' URLs)", DefaultValueFactory = _ => new PkiOptions().BaseUrl };
        var init = new Command("init", "Generate the two CA keys (inside the HSM for pkcs11: URIs) and create the root certificates") { signingKey, authKey, dataDir, baseUrl };
        init.Handle((p, _) =>
        {
            var options = new PkiOptions
            {
                SigningCaKeyUri = p.GetValue(signingKey)!,
                AuthCaKeyUri = p.GetValue(authKey)!,
                DataDirectory = p.GetValue(dataDir)!,
                BaseUrl = p.GetValue(baseUrl)!,
            };
            try
            {
                Init(options);
            }
            catch (MjpkiException e)
            {
                throw new AppException(e.Code, e.Message);
            }

            return Task.CompletedTask;
        });
        ca.Subcommands.Add(init);
    }

    private static void Init(PkiOptions options)
    {
        options.Validate();
        var caDirectory = Path.Combine(options.DataDirectory, "ca");
        foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
        {
            var certificate = Path.Combine(caDirectory, hierarchy.WireName() + ".cer");
            if (File.Exists(certificate))
            {
                throw new AppException("ca-exists", $"A CA certificate already exists ({certificate}); ca init only creates new hierarchies.");
            }
        }

        // Checks module, token and PIN of pkcs11: keys before anything is generated.
        using var keys = KeyProviders.ForOptions(options);

        // Refuse before generating anything, so a half-done ceremony never leaves one new key beside an old one.
        foreach (var uri in new[] { options.SigningCaKeyUri, options.AuthCaKeyUri })
        {
            using var existing = keys.TryGetKey(uri);
            if (existing is not null)
            {
                throw new AppException("key-exists", $"A key already exists under {KeyProviders.Redact(uri)}; ca init never reuses or replaces keys.");
            }
        }

        foreach (var uri in new[] { options.SigningCaKeyUri, options.AuthCaKeyUri })
        {
            keys.CreateKey(uri).Dispose();
        }

        using var ca = CaHierarchy.LoadOrCreate(options, keys, TimeProvider.System);
        foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
        {
            var certificate = ca.CertificateFor(hierarchy);
            Console.WriteLine($"{hierarchy.WireName()}: {certificate.Subject}");
            Console.WriteLine($"  key: {KeyProviders.Redact(options.KeyUriFor(hierarchy))}");
            Console.WriteLine($"  certificate: {Path.GetFullPath(Path.Combine(caDirectory, hierarchy.WireName() + ".cer"))}");
            Console.WriteLine($"  sha256 fingerprint: {Convert.ToHexString(SHA256.HashData(certificate.RawData))}");
            Console.WriteLine($"  valid until: {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}");
        }
    }
}
