using System.CommandLine;
using System.Security.Cryptography;
using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary>
/// The exit codes of every command (README, "Command line"; docs/operations.md, "Exit codes"): a script can tell a
/// typing mistake from a refusal, a refusal from a server it cannot reach, and any of them from a broken audit log.
/// </summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Anything else: a local file, the card or the phone said no (wrong PIN, locked, corrupt file…).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown option, missing value, a value of the wrong form, no terminal to ask on.</summary>
    public const int Usage = 2;

    /// <summary>The server answered with a refusal (a problem document or another HTTP error status).</summary>
    public const int Refused = 3;

    /// <summary>No answer from the server (connection refused, name not found, time-out).</summary>
    public const int Unreachable = 4;

    /// <summary><c>mjpki audit verify</c> found the audit log's hash chain broken.</summary>
    public const int AuditBroken = 5;

    /// <summary>Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}

/// <summary>Options and error handling shared by every command.</summary>
internal static class Common
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    /// <summary>The <see cref="AppException"/> code of a broken audit chain (<see cref="ExitCodes.AuditBroken"/>).</summary>
    public const string AuditBrokenCode = "audit-broken";

    /// <summary>The codes that mean "the command line is wrong" (<see cref="ExitCodes.Usage"/>).</summary>
    private static readonly HashSet<string> UsageCodes = new(StringComparer.Ordinal)
    {
        "bad-arguments", "bad-kinds", "bad-vpcd", "bad-server", "bad-hierarchy", "unknown-model", "input-required",
    };

    public static Option<string> Server() => new("--server")
    {
        Description = "Service URL",
        DefaultValueFactory = _ => DefaultServer,
    };

    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    public static Option<string?> Optional(string name, string description) => new(name) { Description = description };

    /// <summary>A refusal of the command line itself (<see cref="ExitCodes.Usage"/>).</summary>
    public static AppException Usage(string message) => new("bad-arguments", message);

    /// <summary>Runs a command body: exit 0 on success, else a one-line reason on stderr and the <see cref="ExitCodes"/> code.</summary>
    public static void Handle(this Command command, Func<ParseResult, CancellationToken, Task> body)
    {
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            try
            {
                await body(parse, ct);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is AppException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or CryptographicException or InvalidOperationException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync("mjpki: " + OneLine(ex.Message));
                return ExitCode(ex);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // HttpClient's own time-out, not Ctrl+C.
                await Console.Error.WriteLineAsync("mjpki: サーバーが応答しません / the server did not answer in time");
                return ExitCodes.Unreachable;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("mjpki: cancelled");
                return ExitCodes.Cancelled;
            }
        });
    }

    /// <summary>The exit code for a failure (<see cref="ExitCodes"/>).</summary>
    internal static int ExitCode(Exception failure) => failure switch
    {
        HttpRequestException => ExitCodes.Unreachable,
        AppException { Code: AuditBrokenCode } => ExitCodes.AuditBroken,
        AppException { Code: "server-unreachable" or "jwks-unreachable" } => ExitCodes.Unreachable,
        AppException { HttpStatus: not null } => ExitCodes.Refused,
        AppException e when UsageCodes.Contains(e.Code) => ExitCodes.Usage,
        _ => ExitCodes.Failed,
    };

    public static ServerApi Api(string server) => new(ServerApi.CreateHttpClient(server));

    public static bool Interactive => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
