using System.Text.Json;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>The e-application types of My Page (the wire names), with their Japanese and English titles.</summary>
public static class EApplicationTypes
{
    /// <summary>転出届.</summary>
    public const string MovingOut = "moving-out";

    /// <summary>転入届の来庁予定.</summary>
    public const string MovingInVisit = "moving-in-visit";

    /// <summary>パスポート申請.</summary>
    public const string Passport = "passport";

    /// <summary>公金受取口座の登録.</summary>
    public const string BenefitAccount = "benefit-account";

    /// <summary>健康保険証利用の申込み.</summary>
    public const string HealthInsurance = "health-insurance";

    /// <summary>Every type, in the order My Page lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [MovingOut, MovingInVisit, Passport, BenefitAccount, HealthInsurance];

    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);

    /// <summary>"転出届 / Moving-out notice" and so on; null for an unknown type.</summary>
    public static string? Title(string? type) => type switch
    {
        MovingOut => "転出届 / Moving-out notice",
        MovingInVisit => "転入届の来庁予定 / Moving-in visit reservation",
        Passport => "パスポート申請 / Passport application",
        BenefitAccount => "公金受取口座の登録 / Public benefit account registration",
        HealthInsurance => "健康保険証利用の申込み / Use as health insurance card",
        _ => null,
    };
}

/// <summary>
/// The encapsulated content of an e-application's CMS SignedData (id-data, UTF-8 JSON): the type and the form, so a
/// signature over one type's form can never be presented as another type.
/// </summary>
public sealed record EApplicationContent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("form")] JsonElement Form)
{
    /// <summary>Largest encapsulated content accepted (the form plus its envelope).</summary>
    public const int MaxBytes = 8 * 1024;

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ProtocolJson.Options);
}

/// <summary>POST /api/v1/portal/e-applications: the type and the CMS SignedData (base64 DER) signed by the phone's signing key.</summary>
public sealed record EApplicationSubmission(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("cms")] string Cms);

/// <summary>One e-application in the person's history (no 基本4情報 in the summary).</summary>
public sealed record EApplicationView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("summary")] string Summary,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("submittedAt")] DateTimeOffset SubmittedAt,
    [property: JsonPropertyName("certificateSerial")] string CertificateSerial);

/// <summary>The answer to a submission: the stored application and what to tell the person.</summary>
public sealed record EApplicationReceipt(
    [property: JsonPropertyName("application")] EApplicationView Application,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The information views of My Page (診療・薬剤・医療費・健診).</summary>
public static class InformationViews
{
    public const string Medical = "medical";
    public const string Medicine = "medicine";
    public const string Costs = "costs";
    public const string Checkups = "checkups";

    public static IReadOnlyList<string> All { get; } = [Medical, Medicine, Costs, Checkups];

    public static string? Title(string? view) => view switch
    {
        Medical => "診療情報 / Medical visits",
        Medicine => "薬剤情報 / Medicines",
        Costs => "医療費通知情報 / Medical costs",
        Checkups => "特定健診情報 / Health checkups",
        _ => null,
    };
}

/// <summary>One information view: a title and rows of label → value, already formatted for display.</summary>
public sealed record InformationView(
    [property: JsonPropertyName("view")] string View,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("sample")] bool Sample,
    [property: JsonPropertyName("rows")] IReadOnlyList<IReadOnlyDictionary<string, string>> Rows);
