using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki app submit|history|info</c>: My Page's e-applications and information views, in a portal session.</summary>
internal static class EApplicationCommands
{
    private const int MaxFormFileBytes = 64 * 1024;

    public static void Add(RootCommand root)
    {
        var app = root.Subcommands.First(c => c.Name == "app");
        var server = Common.Server();
        var tokenFile = Common.Required("--token-file", "File holding the portal session token (from `mjpki app login`)");

        var phoneFile = Common.Required("--phone", "Phone file (its SE signs with the phone signing key)");
        var type = Common.Required("--type", string.Join('|', EApplicationTypes.All));
        var formFile = Common.Required("--form", "The form as a JSON object (fields per type: docs/relying-parties.md)");
        var signPassword = Secrets.Option("--sign-password", "The phone signing password (asked if omitted)");
        var submit = new Command("submit", "電子申請: sign a form inside the SE with the phone signing key (CMS) and submit it") { server, phoneFile, tokenFile, type, formFile, signPassword };
        submit.Handle(async (p, ct) =>
        {
            var token = ReadToken(p.GetValue(tokenFile)!);
            var form = ReadForm(p.GetValue(formFile)!);
            var receipt = await AppCommands.WithAppAsync(p.GetValue(server)!, p.GetValue(phoneFile)!, a => a.SubmitEApplicationAsync(token, p.GetValue(type)!, form, Secrets.Get(p, signPassword), ct));
            Console.WriteLine(Line(receipt.Application));
        });
        app.Subcommands.Add(submit);

        var limit = new Option<int>("--limit") { Description = "At most this many (1–100)", DefaultValueFactory = _ => 50 };
        var id = Common.Optional("--id", "With --out: save this application's stored CMS");
        var output = Common.Optional("--out", "With --id: where to write the stored CMS SignedData (DER)");
        var history = new Command("history", "My e-applications, newest first (id, time JST, type, status, summary)") { server, tokenFile, limit, id, output };
        history.Handle(async (p, ct) =>
        {
            var token = ReadToken(p.GetValue(tokenFile)!);
            var api = Common.Api(p.GetValue(server)!);
            if (p.GetValue(id) is { } one)
            {
                var path = p.GetValue(output) ?? throw new AppException("bad-arguments", "--id needs --out FILE.");
                await File.WriteAllBytesAsync(path, await api.GetEApplicationCmsAsync(token, one, ct), ct);
                Console.WriteLine($"saved {one} to {path}");
                return;
            }

            foreach (var application in await api.GetEApplicationsAsync(token, Math.Clamp(p.GetValue(limit), 1, 100), ct))
            {
                Console.WriteLine(Line(application));
            }
        });
        app.Subcommands.Add(history);

        var view = Common.Required("--view", string.Join('|', InformationViews.All) + " (診療・薬剤・医療費・健診)");
        var info = new Command("info", "My Page information (sample data): one row per line, field=value") { server, tokenFile, view };
        info.Handle(async (p, ct) =>
        {
            var token = ReadToken(p.GetValue(tokenFile)!);
            var result = await Common.Api(p.GetValue(server)!).GetInformationAsync(token, p.GetValue(view)!, ct);
            Console.WriteLine($"# {result.Title}{(result.Sample ? " (sample data / サンプルデータ)" : string.Empty)}");
            foreach (var row in result.Rows)
            {
                Console.WriteLine(string.Join(' ', row.Select(kv => $"{kv.Key}={kv.Value.Replace(' ', '_')}")));
            }
        });
        app.Subcommands.Add(info);
    }

    /// <summary>The token file holds the bare token, or JSON with a "token" property (a saved session view).</summary>
    internal static string ReadToken(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.TryGetProperty("token", out var token) && token.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to the error below.
            }

            throw new AppException("bad-token-file", $"{path} holds no session token; log in first (mjpki app login).");
        }

        return text.Length is > 0 and <= 128 && !text.Any(char.IsWhiteSpace)
            ? text
            : throw new AppException("bad-token-file", $"{path} holds no session token; log in first (mjpki app login).");
    }

    private static JsonElement ReadForm(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length > MaxFormFileBytes)
        {
            throw new AppException("bad-form", $"--form must be an existing JSON file of at most {MaxFormFileBytes} bytes.");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new AppException("bad-form", $"{path} is not valid JSON.");
        }
    }

    private static string Line(EApplicationView a) =>
        $"{a.Id} {a.SubmittedAt.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {a.Type} {a.Status} {a.Summary}";
}
