using MobileJpki.Core.Protocol;

namespace MobileJpki.Web.Pages.App.Portal;

/// <summary>One field of an e-application form as the page draws it (the server's rules: docs/relying-parties.md, "Forms").</summary>
/// <param name="Input">"text", "date", "int", "select", "int-select" or "bool".</param>
public sealed record EField(string Name, string Ja, string En, string Input, bool Optional = false, string? HintJa = null, string? HintEn = null, int MaxLength = 100, (string Value, string Ja, string En)[]? Options = null);

/// <summary>The five e-application forms of My Page: field names exactly as the server expects them.</summary>
public static class EApplicationForms
{
    /// <summary>Longest value any field takes from the page (the server has tighter limits per field).</summary>
    public const int MaxValueLength = 200;

    /// <summary>The fields of <paramref name="type"/> (empty for an unknown type).</summary>
    public static IReadOnlyList<EField> Fields(string? type) => type switch
    {
        EApplicationTypes.MovingOut =>
        [
            new("movingDate", "転出予定日", "Moving-out date", "date", HintJa: "今日の14日前から30日後まで", HintEn: "From 14 days ago to 30 days ahead"),
            new("destinationPostalCode", "転出先の郵便番号", "Destination postal code", "text", HintJa: "例: 100-0001", HintEn: "e.g. 100-0001", MaxLength: 8),
            new("destinationAddress", "転出先の住所", "Destination address", "text", MaxLength: 200),
            new("householdMembers", "転出する人数", "People moving", "int", HintJa: "1〜20人", HintEn: "1 to 20", MaxLength: 2),
            new("contactPhone", "連絡先電話番号（任意）", "Contact phone (optional)", "text", Optional: true, HintJa: "10〜11桁の数字（ハイフン可）", HintEn: "10–11 digits, hyphens allowed", MaxLength: 13),
        ],
        EApplicationTypes.MovingInVisit =>
        [
            new("municipalityCode", "転入先の市区町村コード", "Municipality code", "text", HintJa: "数字6桁", HintEn: "6 digits", MaxLength: 6),
            new("movedInDate", "転入日", "Moved-in date", "date"),
            new("visitDate", "来庁予定日", "Visit date", "date", HintJa: "転入日以降、転入日から14日以内", HintEn: "On or after moving in, within 14 days"),
            new("visitTime", "来庁予定時刻", "Visit time", "text", HintJa: "08:30〜17:00（例: 10:00）", HintEn: "08:30–17:00 (e.g. 10:00)", MaxLength: 5),
            new("householdMembers", "転入する人数", "People moving in", "int", HintJa: "1〜20人", HintEn: "1 to 20", MaxLength: 2),
        ],
        EApplicationTypes.Passport =>
        [
            new("applicationKind", "申請の種類", "Kind", "select", Options: [("new", "新規", "New"), ("renewal", "切替", "Renewal")]),
            new("validityYears", "旅券の種類", "Validity", "int-select", Options: [("10", "10年", "10 years"), ("5", "5年", "5 years")]),
            new("nameRomaji", "氏名（ローマ字）", "Name in Roman letters", "text", HintJa: "英大文字と空白（例: TARO YAMADA）", HintEn: "A–Z and spaces (e.g. TARO YAMADA)", MaxLength: 39),
            new("currentPassportNumber", "お持ちの旅券の番号（切替のとき）", "Current passport number (renewal)", "text", Optional: true, HintJa: "英字2文字＋数字7桁", HintEn: "2 letters and 7 digits", MaxLength: 9),
            new("pickupOffice", "受け取る窓口", "Pickup office", "text"),
            new("travelPurpose", "渡航目的（任意）", "Purpose of travel (optional)", "text", Optional: true),
        ],
        EApplicationTypes.BenefitAccount =>
        [
            new("bankCode", "金融機関コード", "Bank code", "text", HintJa: "数字4桁", HintEn: "4 digits", MaxLength: 4),
            new("branchCode", "支店コード", "Branch code", "text", HintJa: "数字3桁", HintEn: "3 digits", MaxLength: 3),
            new("accountType", "預金種目", "Account type", "select", Options: [("ordinary", "普通", "Ordinary"), ("current", "当座", "Current"), ("savings", "貯蓄", "Savings")]),
            new("accountNumber", "口座番号", "Account number", "text", HintJa: "数字7桁", HintEn: "7 digits", MaxLength: 7),
            new("accountHolderKana", "口座名義（カタカナ）", "Account holder (katakana)", "text", HintJa: "全角カタカナと空白", HintEn: "Full-width katakana and spaces", MaxLength: 30),
        ],
        EApplicationTypes.HealthInsurance =>
        [
            new("insurerNumber", "保険者番号", "Insurer number", "text", HintJa: "数字6桁または8桁", HintEn: "6 or 8 digits", MaxLength: 8),
            new("symbol", "記号（任意）", "Symbol (optional)", "text", Optional: true, MaxLength: 20),
            new("number", "番号", "Number", "text", MaxLength: 20),
            new("branchNumber", "枝番（任意）", "Branch number (optional)", "text", Optional: true, HintJa: "数字2桁", HintEn: "2 digits", MaxLength: 2),
            new("consent", "健康保険証として利用することに同意します", "I agree to use it as my health insurance card", "bool"),
        ],
        _ => [],
    };

    /// <summary>The type's title in Japanese and English.</summary>
    public static (string Ja, string En) Title(string type)
    {
        var parts = (EApplicationTypes.Title(type) ?? type).Split(" / ");
        return (parts[0], parts.ElementAtOrDefault(1) ?? parts[0]);
    }
}
