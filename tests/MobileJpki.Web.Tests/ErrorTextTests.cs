using System.Text.RegularExpressions;

namespace MobileJpki.Web.Tests;

/// <summary>Every refusal the pages can show reads in Japanese and English (plain unit tests: no server, no browser).</summary>
public sealed partial class ErrorTextTests
{
    /// <summary>Codes src/MobileJpki.App and the simulator throw themselves (AppException), which a page can show.</summary>
    private static readonly string[] ErrorTextKnownAppCodes =
    [
        "input-needed", "bad-card-password", "bad-card-pin", "bad-pin", "bad-sign-password", "bad-phone-password",
        "bad-new-password", "wrong-card-password", "wrong-card-pin", "wrong-phone-password", "phone-password-locked",
        "card-locked", "card-error", "se-error", "certificate-mismatch", "not-confirmed", "bad-model", "unsupported-phone",
        "too-many-devices", "timeout", "not-issued-yet", "not-applied", "nothing-to-register", "no-certificate",
        "no-auth-certificate", "no-phone-signing-certificate", "origin-mismatch", "server-unreachable", "bad-server",
    ];

    /// <summary>Every code of docs/errors.md's table, read from the document itself so a new code cannot be forgotten.</summary>
    public static TheoryData<string> DocumentedCodes()
    {
        var data = new TheoryData<string>();
        foreach (var code in ReadDocumentedCodes())
        {
            data.Add(code);
        }

        return data;
    }

    [Fact]
    public void DocumentedCodes_ErrorsMd_ListsTheKnownTable()
    {
        var codes = ReadDocumentedCodes();

        // A broken parser would make the theory below vacuous.
        Assert.True(codes.Count >= 90, $"only {codes.Count} codes parsed from docs/errors.md");
        Assert.Contains("session-invalid", codes);
        Assert.Contains("internal", codes);
    }

    [Theory]
    [MemberData(nameof(DocumentedCodes))]
    public void Describe_DocumentedCodeWithEnglishMessage_GivesJapaneseThenTheEnglishMessage(string code)
    {
        const string english = "Something the API said in English (3 tries left).";

        var text = ErrorText.Describe(code, english);

        Assert.True(ErrorText.Knows(code), $"no Japanese for {code}");
        Assert.True(HasJapanese(text), text);
        Assert.EndsWith(" / " + english, text, StringComparison.Ordinal);
        Assert.NotEqual("処理できませんでした / " + english, text);
    }

    [Theory]
    [MemberData(nameof(AppCodes))]
    public void Describe_AppCodeWithEnglishMessage_GivesItsOwnJapanese(string code)
    {
        var text = ErrorText.Describe(code, "The app refused.");

        Assert.True(ErrorText.Knows(code), $"no Japanese for {code}");
        Assert.True(HasJapanese(text), text);
        Assert.EndsWith(" / The app refused.", text, StringComparison.Ordinal);
    }

    /// <summary>The app-side codes as theory data.</summary>
    public static TheoryData<string> AppCodes()
    {
        var data = new TheoryData<string>();
        foreach (var code in ErrorTextKnownAppCodes)
        {
            data.Add(code);
        }

        return data;
    }

    [Fact]
    public void Describe_AppCodesInSource_AreAllInTheCatalog()
    {
        // Reads the app's source so a new English-only AppException code in src/MobileJpki.App or the UI is caught here.
        var root = RepositoryRoot();
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { "src/MobileJpki.App", "src/MobileJpki.Web" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, dir), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var line in File.ReadLines(file))
                {
                    foreach (Match m in AppExceptionCode().Matches(line))
                    {
                        // A message written in both languages on the same line passes through Describe as it is.
                        var bilingual = HasJapanese(line[(m.Index + m.Length)..]);
                        foreach (var code in new[] { m.Groups["a"].Value, m.Groups["b"].Value }.Where(c => c.Length > 0))
                        {
                            if (!ErrorText.Knows(code) && !bilingual)
                            {
                                missing.Add($"{code} ({Path.GetFileName(file)})");
                            }
                        }
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "no Japanese for app codes: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("card-on-hold", "紛失届により一時停止中のカードです。発見の届出か更新が必要です / The card is on hold after a loss report; report it found or renew it first.")]
    [InlineData("wrong-phone-password", "パスワードが違います（残り2回）/ Wrong phone password (2 tries left before it locks).")]
    [InlineData(null, "入力が必要です: 氏名 / Input needed: name")]
    public void Describe_BilingualMessage_PassesThroughUnchanged(string? code, string message)
    {
        Assert.Equal(message, ErrorText.Describe(code, message));
    }

    [Theory]
    [InlineData("no-such-code-ever")]
    [InlineData("http-502")]
    [InlineData(null)]
    public void Describe_UnknownCode_StillLeadsWithJapanese(string? code)
    {
        var text = ErrorText.Describe(code, "Bad Gateway");

        Assert.Equal("処理できませんでした / Bad Gateway", text);
        Assert.False(code is not null && ErrorText.Knows(code));
    }

    [Fact]
    public void Describe_MessageWithCounts_KeepsTheNumbersInTheEnglishPart()
    {
        var text = ErrorText.Describe("wrong-card-password", "Wrong card signing password (1 tries left before it locks).");

        Assert.Equal("マイナンバーカードのパスワードが違います / Wrong card signing password (1 tries left before it locks).", text);
    }

    [Fact]
    public void Describe_NullMessage_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => ErrorText.Describe("bad-field", null!));
    }

    private static List<string> ReadDocumentedCodes()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "errors.md"));
        return lines.Select(l => TableRow().Match(l)).Where(m => m.Success).Select(m => m.Groups["code"].Value).Distinct().ToList();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MobileJpki.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MobileJpki.slnx not found above the test output");
    }

    private static bool HasJapanese(string text) =>
        text.Any(c => c is (>= '\u3040' and <= '\u30ff') or (>= '\u4e00' and <= '\u9fff'));

    [GeneratedRegex(@"^\| `(?<code>[a-z0-9-]+)` \| \d{3} \|")]
    private static partial Regex TableRow();

    [GeneratedRegex(@"AppException\((?:""(?<a>[a-z0-9-]+)""|[\w.]+(?: [=!]= [\w.]+)? \? ""(?<a>[a-z0-9-]+)"" : ""(?<b>[a-z0-9-]+)"")")]
    private static partial Regex AppExceptionCode();
}
