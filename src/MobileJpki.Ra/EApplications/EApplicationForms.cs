using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra;

/// <summary>
/// The form of each e-application type: which fields, which are required, their lengths, formats and date ranges.
/// A form is a JSON object with only these fields (unknown or duplicate ones are refused); <see cref="Validate"/>
/// returns the history summary, which carries no 基本4情報 (no name, address, birth date or gender).
/// </summary>
/// <remarks>Errors name the field and the rule, never the value given (it may be personal data).</remarks>
public static partial class EApplicationForms
{
    /// <summary>Most fields a form may have (the largest type has fewer).</summary>
    public const int MaxFields = 16;

    private static readonly Dictionary<string, Field[]> Forms = new(StringComparer.Ordinal)
    {
        // 転出届: may be sent up to 14 days after moving out and some weeks before.
        [EApplicationTypes.MovingOut] =
        [
            new("movingDate", true, Date(-14, 30)),
            new("destinationPostalCode", true, Pattern(PostalCodeRegex(), "郵便番号 NNN-NNNN / a postal code NNN-NNNN")),
            new("destinationAddress", true, Text(200)),
            new("householdMembers", true, Integer(1, 20)),
            new("contactPhone", false, Pattern(PhoneRegex(), "電話番号（数字10〜11桁、ハイフン可） / a phone number of 10–11 digits, hyphens allowed")),
        ],

        // 転入届の来庁予定: a visit to the new municipality within 14 days of moving in.
        [EApplicationTypes.MovingInVisit] =
        [
            new("municipalityCode", true, Digits(6, 6)),
            new("movedInDate", true, Date(-14, 30)),
            new("visitDate", true, Date(0, 44)),
            new("visitTime", true, Pattern(VisitTimeRegex(), "来庁時刻 08:30〜17:00 の HH:MM / a time HH:MM between 08:30 and 17:00")),
            new("householdMembers", true, Integer(1, 20)),
        ],

        // パスポート申請.
        [EApplicationTypes.Passport] =
        [
            new("applicationKind", true, OneOf("new", "renewal")),
            new("validityYears", true, IntegerOneOf(5, 10)),
            new("nameRomaji", true, Pattern(RomajiRegex(), "ローマ字氏名（英大文字と空白、39文字以内） / the name in capital letters and spaces, at most 39")),
            new("currentPassportNumber", false, Pattern(PassportNumberRegex(), "旅券番号（英字2文字と数字7桁） / a passport number of 2 letters and 7 digits")),
            new("pickupOffice", true, Text(100)),
            new("travelPurpose", false, Text(100)),
        ],

        // 公金受取口座の登録: 金融機関コード 4 digits, 支店コード 3 digits, 口座番号 7 digits.
        [EApplicationTypes.BenefitAccount] =
        [
            new("bankCode", true, Digits(4, 4)),
            new("branchCode", true, Digits(3, 3)),
            new("accountType", true, OneOf("ordinary", "current", "savings")),
            new("accountNumber", true, Digits(7, 7)),
            new("accountHolderKana", true, Pattern(KatakanaRegex(), "口座名義（全角カタカナと空白、30文字以内） / the holder's name in full-width katakana and spaces, at most 30")),
        ],

        // 健康保険証利用の申込み: 保険者番号 (6 or 8 digits), 記号・番号, 枝番, and the consent.
        [EApplicationTypes.HealthInsurance] =
        [
            new("insurerNumber", true, Pattern(InsurerNumberRegex(), "保険者番号（数字6桁または8桁） / an insurer number of 6 or 8 digits")),
            new("symbol", false, Pattern(SymbolRegex(), "記号（英数字・ハイフン20文字以内） / up to 20 letters, digits or hyphens")),
            new("number", true, Pattern(SymbolRegex(), "番号（英数字・ハイフン20文字以内） / up to 20 letters, digits or hyphens")),
            new("branchNumber", false, Digits(2, 2)),
            new("consent", true, MustBeTrue()),
        ],
    };

    /// <summary>The field names of a type's form, required ones first (for help texts and tests).</summary>
    public static IReadOnlyList<string> FieldsOf(string type) =>
        Forms.TryGetValue(type, out var fields) ? [.. fields.OrderByDescending(f => f.Required).Select(f => f.Name)] : [];

    /// <summary>Checks <paramref name="form"/> for <paramref name="type"/>; returns the history summary or throws 400 "bad-form".</summary>
    /// <param name="today">Today in JST, for the date ranges.</param>
    public static string Validate(string type, JsonElement form, DateOnly today)
    {
        if (!Forms.TryGetValue(type, out var fields))
        {
            throw UnknownType();
        }

        if (form.ValueKind != JsonValueKind.Object)
        {
            throw Bad("フォームはJSONオブジェクトです / The form must be a JSON object.");
        }

        var given = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in form.EnumerateObject())
        {
            if (given.Count >= MaxFields)
            {
                throw Bad($"項目が多すぎます（{MaxFields}以下） / The form has more than {MaxFields} fields.");
            }

            var known = Array.Find(fields, f => f.Name == property.Name);
            if (known is null)
            {
                throw Bad($"'{Printable(property.Name)}' はこの申請の項目ではありません / '{Printable(property.Name)}' is not a field of this form.");
            }

            if (!given.TryAdd(property.Name, property.Value))
            {
                throw Bad($"'{property.Name}' が重複しています / '{property.Name}' appears twice.");
            }
        }

        foreach (var field in fields)
        {
            if (!given.TryGetValue(field.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (field.Required)
                {
                    throw Bad($"'{field.Name}' は必須です / '{field.Name}' is required.");
                }

                continue;
            }

            if (field.Check(value, today) is { } rule)
            {
                throw Bad($"'{field.Name}': {rule}");
            }
        }

        return CrossCheckAndSummarize(type, given);
    }

    /// <summary>The error for a type that is not one of <see cref="EApplicationTypes.All"/>.</summary>
    public static MjpkiException UnknownType() => MjpkiException.BadRequest(
        "unknown-e-application-type",
        $"申請の種類が不明です（{string.Join(", ", EApplicationTypes.All)}） / Unknown e-application type; use one of {string.Join(", ", EApplicationTypes.All)}.");

    private static string CrossCheckAndSummarize(string type, Dictionary<string, JsonElement> f)
    {
        string S(string name) => f.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        int I(string name) => f[name].GetInt32();

        switch (type)
        {
            case EApplicationTypes.MovingOut:
                return $"転出予定日 {S("movingDate")}・{I("householdMembers")}人 / moving out on {S("movingDate")}, {I("householdMembers")} person(s)";

            case EApplicationTypes.MovingInVisit:
                if (string.CompareOrdinal(S("visitDate"), S("movedInDate")) < 0)
                {
                    throw Bad("'visitDate': 転入日より前の来庁はできません / the visit cannot be before the moving-in date.");
                }

                if (DateOnly.ParseExact(S("visitDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.ParseExact(S("movedInDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber > 14)
                {
                    throw Bad("'visitDate': 転入届は転入日から14日以内です / the moving-in notice is due within 14 days of moving in.");
                }

                return $"来庁予定 {S("visitDate")} {S("visitTime")}（団体コード {S("municipalityCode")}） / visit on {S("visitDate")} {S("visitTime")} (municipality {S("municipalityCode")})";

            case EApplicationTypes.Passport:
                var renewal = S("applicationKind") == "renewal";
                if (renewal != f.ContainsKey("currentPassportNumber") || (f.TryGetValue("currentPassportNumber", out var n) && n.ValueKind == JsonValueKind.Null))
                {
                    throw Bad(renewal
                        ? "'currentPassportNumber': 切替申請では現在の旅券番号が必要です / a renewal needs the current passport number."
                        : "'currentPassportNumber': 新規申請では指定しません / a new application has no current passport number.");
                }

                return $"{I("validityYears")}年旅券・{(renewal ? "切替" : "新規")} / {I("validityYears")}-year passport, {(renewal ? "renewal" : "new")}";

            case EApplicationTypes.BenefitAccount:
                var account = S("accountNumber");
                var kind = S("accountType") switch { "ordinary" => "普通", "current" => "当座", _ => "貯蓄" };
                return $"金融機関 {S("bankCode")}・支店 {S("branchCode")}・{kind} ****{account[^3..]} / bank {S("bankCode")}, branch {S("branchCode")}, {S("accountType")} ****{account[^3..]}";

            default:
                return $"保険者番号 {S("insurerNumber")} / insurer {S("insurerNumber")}";
        }
    }

    private static MjpkiException Bad(string message) => MjpkiException.BadRequest("bad-form", message);

    /// <summary>Field names come from the client: shown only when short and printable.</summary>
    private static string Printable(string name) => name.Length <= 32 && name.All(c => c is >= '!' and <= '~') ? name : "(field)";

    private static Func<JsonElement, DateOnly, string?> Text(int max) => (v, _) =>
        v.ValueKind == JsonValueKind.String && v.GetString() is { } s && !string.IsNullOrWhiteSpace(s) && s.Length <= max && !s.Any(char.IsControl)
            ? null
            : $"{max}文字以内の文字列 / a non-empty text of at most {max} characters without control characters";

    private static Func<JsonElement, DateOnly, string?> Pattern(Regex regex, string rule) => (v, _) =>
        v.ValueKind == JsonValueKind.String && v.GetString() is { Length: <= 64 } s && regex.IsMatch(s) ? null : rule;

    private static Func<JsonElement, DateOnly, string?> Digits(int min, int max) => (v, _) =>
        v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.Length >= min && s.Length <= max && s.All(char.IsAsciiDigit)
            ? null
            : min == max ? $"数字{min}桁 / exactly {min} digits (as a string)" : $"数字{min}〜{max}桁 / {min}–{max} digits (as a string)";

    private static Func<JsonElement, DateOnly, string?> Integer(int min, int max) => (v, _) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max ? null : $"{min}〜{max}の整数 / a whole number from {min} to {max}";

    private static Func<JsonElement, DateOnly, string?> IntegerOneOf(params int[] allowed) => (v, _) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && allowed.Contains(i) ? null : $"{string.Join(" / ", allowed)} のいずれか / one of {string.Join(", ", allowed)}";

    private static Func<JsonElement, DateOnly, string?> OneOf(params string[] allowed) => (v, _) =>
        v.ValueKind == JsonValueKind.String && allowed.Contains(v.GetString(), StringComparer.Ordinal) ? null : $"{string.Join(" / ", allowed)} のいずれか / one of {string.Join(", ", allowed)}";

    private static Func<JsonElement, DateOnly, string?> MustBeTrue() => (v, _) =>
        v.ValueKind == JsonValueKind.True ? null : "同意が必要です（true） / consent is required (true)";

    /// <summary>A calendar date yyyy-MM-dd from <paramref name="fromDays"/> to <paramref name="toDays"/> days around today (JST).</summary>
    private static Func<JsonElement, DateOnly, string?> Date(int fromDays, int toDays) => (v, today) =>
    {
        if (v.ValueKind != JsonValueKind.String || !DateOnly.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return "日付 yyyy-MM-dd / a date yyyy-MM-dd";
        }

        var offset = date.DayNumber - today.DayNumber;
        return offset >= fromDays && offset <= toDays
            ? null
            : $"{today.AddDays(fromDays):yyyy-MM-dd}〜{today.AddDays(toDays):yyyy-MM-dd} の日付 / a date from {today.AddDays(fromDays):yyyy-MM-dd} to {today.AddDays(toDays):yyyy-MM-dd}";
    };

    [GeneratedRegex(@"^[0-9]{3}-[0-9]{4}\z")]
    private static partial Regex PostalCodeRegex();

    [GeneratedRegex(@"^[0-9](?:-?[0-9]){9,10}\z")]
    private static partial Regex PhoneRegex();

    [GeneratedRegex(@"^(08:[3-5][0-9]|09:[0-5][0-9]|1[0-6]:[0-5][0-9]|17:00)\z")]
    private static partial Regex VisitTimeRegex();

    [GeneratedRegex(@"^(?=.{1,39}\z)[A-Z]+( [A-Z]+)*\z")]
    private static partial Regex RomajiRegex();

    [GeneratedRegex(@"^[A-Z]{2}[0-9]{7}\z")]
    private static partial Regex PassportNumberRegex();

    [GeneratedRegex(@"^(?=.{1,30}\z)[\u30A1-\u30FC]+([ \u3000][\u30A1-\u30FC]+)*\z")]
    private static partial Regex KatakanaRegex();

    [GeneratedRegex(@"^([0-9]{6}|[0-9]{8})\z")]
    private static partial Regex InsurerNumberRegex();

    [GeneratedRegex(@"^[0-9A-Za-z\-]{1,20}\z")]
    private static partial Regex SymbolRegex();

    private sealed record Field(string Name, bool Required, Func<JsonElement, DateOnly, string?> Check);
}
