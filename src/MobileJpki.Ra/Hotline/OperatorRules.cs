using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>Operator roles, what each may do, and the shape of names, passwords and reasons.</summary>
public static class OperatorRules
{
    public const string Operator = "operator";

    public const string Supervisor = "supervisor";

    public const int MaxNameLength = 64;

    public const int MinPasswordLength = 12;

    public const int MaxPasswordLength = 256;

    public const int MaxReasonLength = 200;

    /// <summary>Operators find and suspend; supervisors also manage accounts and read the audit log.</summary>
    public static bool May(string role, HotlineRight right) => right switch
    {
        HotlineRight.Find or HotlineRight.Suspend => role is Operator or Supervisor,
        HotlineRight.ManageAccounts or HotlineRight.ReadAudit => role is Supervisor,
        _ => false,
    };

    public static bool IsRole(string? role) => role is Operator or Supervisor;

    /// <summary>Lowercase ASCII letters, digits, '.', '_' and '-', starting with a letter or digit, 2–64 long.</summary>
    public static string CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length is < 2 or > MaxNameLength
            || !char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0])
            || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'))
        {
            throw MjpkiException.BadRequest("bad-operator-name", $"オペレーター名は英小文字・数字・. _ - の2〜{MaxNameLength}文字です / An operator name is 2–{MaxNameLength} lowercase letters, digits, '.', '_' or '-'.");
        }

        return name;
    }

    public static string CheckPassword(string? password)
    {
        if (password is null || password.Length is < MinPasswordLength or > MaxPasswordLength || password.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("weak-operator-password", $"パスワードは{MinPasswordLength}〜{MaxPasswordLength}文字です / An operator password has {MinPasswordLength}–{MaxPasswordLength} printable characters.");
        }

        return password;
    }

    public static string CheckReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw MjpkiException.BadRequest("reason-required", "一時利用停止の理由を入力してください / A reason is required.");
        }

        if (reason.Length > MaxReasonLength || reason.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("bad-reason", $"理由は{MaxReasonLength}文字以内です / The reason must be at most {MaxReasonLength} printable characters.");
        }

        return reason.Trim();
    }

    /// <summary>A random password for a new account (128 bits, base64url), shown once.</summary>
    public static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A bearer token (256 bits, base64url).</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>What the store keeps of a token: lowercase hex SHA-256.</summary>
    public static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>What an operator may be allowed to do.</summary>
public enum HotlineRight
{
    Find,
    Suspend,
    ManageAccounts,
    ReadAudit,
}
