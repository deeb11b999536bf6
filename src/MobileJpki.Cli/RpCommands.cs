using System.CommandLine;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki rp add</c>: registers a relying party (OIDC client authenticated with private_key_jwt).</summary>
internal static class RpCommands
{
    /// <summary>Environment variable holding the relying-party admin key (RelyingParties:AdminKey), so it stays off the command line.</summary>
    public const string AdminKeyVariable = "MJPKI_RP_ADMIN_KEY";

    public static void Add(RootCommand root)
    {
        var rp = new Command("rp", "Relying parties of the OIDC provider and the signing API");
        root.Subcommands.Add(rp);

        var server = Common.Server();
        var name = Common.Required("--name", "The relying party's name, shown to the person on the phone");
        var redirect = new Option<string[]>("--redirect-uri") { Description = "Redirect URI (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = false };
        var jwks = Common.Required("--jwks", "The public JWKS of its client-assertion keys: a file, or an http(s) URL to fetch it from");
        var add = new Command("add", "Register a relying party; prints its client_id") { server, name, redirect, jwks };
        add.Handle(async (p, ct) =>
        {
            var set = await ReadJwksAsync(p.GetValue(jwks)!, ct);
            var view = await Common.Api(p.GetValue(server)!).RegisterRelyingPartyAsync(
                new RelyingPartyRegistration(p.GetValue(name)!, p.GetValue(redirect) ?? [], set),
                Environment.GetEnvironmentVariable(AdminKeyVariable),
                ct);
            Console.WriteLine(view.ClientId);
        });
        rp.Subcommands.Add(add);
    }

    private static async Task<JsonElement> ReadJwksAsync(string source, CancellationToken ct)
    {
        string text;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                text = await http.GetStringAsync(uri, ct);
            }
            catch (HttpRequestException ex)
            {
                throw new AppException("jwks-unreachable", $"JWKS を取得できません / Cannot fetch the JWKS from {uri}: {ex.Message}");
            }
        }
        else
        {
            text = await File.ReadAllTextAsync(source, ct);
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new AppException("bad-jwks", "--jwks is not a JSON document (expected a JSON Web Key Set).");
        }
    }
}
