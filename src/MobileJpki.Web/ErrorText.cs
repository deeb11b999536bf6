namespace MobileJpki.Web;

/// <summary>
/// Refusals as the pages show them: always Japanese and English. The API words many refusals in both already; for the
/// others the catalog gives the Japanese by error code (docs/errors.md), and an unknown code still gets a Japanese lead.
/// </summary>
public static class ErrorText
{
    private static readonly Dictionary<string, string> Japanese = new(StringComparer.Ordinal)
    {
        ["database-unavailable"] = "データベースに接続できません。しばらくしてからもう一度お試しください",
        ["input-needed"] = "入力が足りません",
    };

    /// <summary>"日本語 / English" for a refusal with <paramref name="code"/> and the API's <paramref name="message"/>.</summary>
    public static string Describe(string? code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (HasJapanese(message))
        {
            return message;
        }

        var ja = code is not null && Japanese.TryGetValue(code, out var known) ? known : "処理できませんでした";
        return $"{ja} / {message}";
    }

    /// <summary>True when the catalog has a Japanese text for <paramref name="code"/>.</summary>
    public static bool Knows(string code) => Japanese.ContainsKey(code);

    private static bool HasJapanese(string text) =>
        text.Any(c => c is (>= '\u3040' and <= '\u30ff') or (>= '\u4e00' and <= '\u9fff'));
}
