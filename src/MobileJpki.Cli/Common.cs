using System.CommandLine;
using System.Security.Cryptography;
using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary>Options and error handling shared by every command.</summary>
internal static class Common
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static Option<string> Server() => new("--server")
    {
        Description = "Service URL",
        DefaultValueFactory = _ => DefaultServer,
    };

    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    public static Option<string?> Optional(string name, string description) => new(name) { Description = description };

    /// <summary>Runs a command body: exit 0 on success, else a one-line reason on stderr and exit 1.</summary>
    public static void Handle(this Command command, Func<ParseResult, CancellationToken, Task> body)
    {
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            try
            {
                await body(parse, ct);
                return 0;
            }
            catch (Exception ex) when (ex is AppException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or CryptographicException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync("mjpki: " + OneLine(ex.Message));
                return 1;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("mjpki: cancelled");
                return 130;
            }
        });
    }

    public static ServerApi Api(string server) => new(ServerApi.CreateHttpClient(server));

    public static bool Interactive => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
