namespace MobileJpki.Card;

/// <summary>JPKI's rules for the signing password and the 4-digit PINs, with bilingual error messages.</summary>
public static class PasswordPolicy
{
    public const string SigningPasswordRule =
        "パスワードは英大文字と数字を含む6〜16文字です / The password must be 6–16 characters of A–Z and 0–9 including both";

    public const string AuthPinRule = "暗証番号は数字4桁です / The PIN must be exactly 4 digits";

    /// <summary>Uppercases ASCII letters (as the real app does) and checks 6–16 of A–Z/0–9 mixing both.</summary>
    public static bool TryNormalizeSigningPassword(string? input, out string normalized, out string error)
    {
        normalized = string.Empty;
        error = SigningPasswordRule;
        if (input is null || input.Length is < 6 or > 16)
        {
            return false;
        }

        var chars = new char[input.Length];
        bool hasLetter = false, hasDigit = false;
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c is >= 'a' and <= 'z')
            {
                c = (char)(c - 'a' + 'A');
            }

            if (c is >= 'A' and <= 'Z')
            {
                hasLetter = true;
            }
            else if (c is >= '0' and <= '9')
            {
                hasDigit = true;
            }
            else
            {
                return false;
            }

            chars[i] = c;
        }

        if (!hasLetter || !hasDigit)
        {
            return false;
        }

        normalized = new string(chars);
        error = string.Empty;
        return true;
    }

    public static bool TryValidateAuthPin(string? input, out string error)
    {
        if (input is { Length: 4 } && input.All(char.IsAsciiDigit))
        {
            error = string.Empty;
            return true;
        }

        error = AuthPinRule;
        return false;
    }

    /// <summary>Normalizes per <paramref name="kind"/>'s rule; the result is what goes on the wire.</summary>
    public static bool TryNormalize(PinKind kind, string? input, out string normalized, out string error)
    {
        if (kind == PinKind.Signing)
        {
            return TryNormalizeSigningPassword(input, out normalized, out error);
        }

        normalized = TryValidateAuthPin(input, out error) ? input! : string.Empty;
        return error.Length == 0;
    }

    /// <summary>Whether <paramref name="value"/> is already in the exact form the card stores.</summary>
    public static bool IsWireForm(PinKind kind, string value) =>
        TryNormalize(kind, value, out var normalized, out _) && string.Equals(normalized, value, StringComparison.Ordinal);
}
