using System.CommandLine;
using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary>
/// PIN and password options. A value comes, first found, from: the option itself (visible to every local user in
/// <c>ps</c> and kept in shell history: for scripts on a machine of one's own); the option given as <c>-</c>, which
/// reads one line of standard input (several such options read one line each, in the order <c>--help</c> lists them);
/// the environment variable named after the option (<c>--card-password</c> → <c>MJPKI_CARD_PASSWORD</c>); or, in a
/// terminal, a prompt that does not echo. docs/security.md, "Secrets at rest and in the CLI".
/// </summary>
internal static class Secrets
{
    /// <summary>What a value on the command line does: <c>--help</c> says it beside every secret option.</summary>
    public const string VisibilityNote = "'-' reads a line from stdin; a value typed here is visible in ps and shell history";

    /// <summary>A PIN or password option; <c>--help</c> names its environment variable and the <c>ps</c> caveat.</summary>
    public static Option<string?> Option(string name, string description) =>
        new(name) { Description = $"{description} [{VisibilityNote}; env {EnvironmentVariable(name)}]" };

    /// <summary><c>--new-auth-pin</c> → <c>MJPKI_NEW_AUTH_PIN</c>.</summary>
    public static string EnvironmentVariable(string optionName) =>
        "MJPKI_" + optionName.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    /// <summary>The secret from the option, standard input or the environment; null when none gives it (the app may then ask).</summary>
    /// <exception cref="AppException"><c>-</c> was given but standard input has no more lines (a usage error).</exception>
    public static string? Get(ParseResult parse, Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(option);
        var given = parse.GetValue(option);
        if (given == "-")
        {
            return Console.In.ReadLine()?.TrimEnd('\r')
                ?? throw Common.Usage($"{option.Name} - の値が標準入力にありません / {option.Name} -: standard input has no line left for it.");
        }

        if (given is not null)
        {
            return given;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable(option.Name));
        return string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment;
    }

    /// <summary>
    /// <see cref="Get"/>, else a prompt without echo in a terminal (asked twice when <paramref name="confirm"/>, for a
    /// new PIN); without a terminal, a usage error naming the option.
    /// </summary>
    public static string Require(ParseResult parse, Option<string?> option, string promptJa, string promptEn, bool confirm = false)
    {
        if (Get(parse, option) is { } value)
        {
            return value;
        }

        if (!Common.Interactive)
        {
            throw new AppException(
                "input-required",
                $"{option.Name} が必要です / {option.Name} is required: give it, '-' with the value on stdin, or ${EnvironmentVariable(option.Name)}.");
        }

        var screens = new ConsoleScreens(Console.Error, interactive: true);
        var first = screens.Ask(promptJa, promptEn, secret: true);
        if (confirm && screens.Ask("確認のためもう一度入力してください", "Enter it again to confirm", secret: true) != first)
        {
            throw Common.Usage("入力が一致しません / The two entries differ.");
        }

        return first;
    }
}
