using System.Text;
using MobileJpki.App;

namespace MobileJpki.Cli;

/// <summary>The portal app's screens on a terminal: titles in Japanese with English beside them.</summary>
internal sealed class ConsoleScreens(TextWriter output, bool interactive) : IAppScreens
{
    public void Show(string titleJa, string titleEn, string? body = null)
    {
        output.WriteLine();
        output.WriteLine($"━━ {titleJa} / {titleEn} ━━");
        if (!string.IsNullOrEmpty(body))
        {
            output.WriteLine(body);
        }
    }

    public void Progress(int percent, string labelJa, string labelEn)
    {
        var filled = Math.Clamp(percent, 0, 100) / 5;
        output.WriteLine($"[{new string('#', filled)}{new string('.', 20 - filled)}] {percent,3}% {labelJa} / {labelEn}");
    }

    public string Ask(string promptJa, string promptEn, bool secret)
    {
        if (!interactive)
        {
            throw new AppException("input-required", $"入力が必要です / input required: {promptEn} (give it as an option)");
        }

        output.Write($"{promptJa} / {promptEn}: ");
        if (!secret)
        {
            return Console.ReadLine() ?? string.Empty;
        }

        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                output.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    public bool Confirm(string promptJa, string promptEn)
    {
        if (!interactive)
        {
            throw new AppException("input-required", $"確認が必要です / confirmation required: {promptEn}");
        }

        output.Write($"{promptJa} / {promptEn} [y/N]: ");
        return (Console.ReadLine() ?? string.Empty).Trim().ToLowerInvariant() is "y" or "yes";
    }
}
