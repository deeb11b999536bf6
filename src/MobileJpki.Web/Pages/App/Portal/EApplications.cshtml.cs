using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Pages.App.MyPage;

namespace MobileJpki.Web.Pages.App.Portal;

/// <summary>
/// 電子申請 in a portal session (mjpki app submit|history): the form is signed inside the SE with the phone signing key
/// (CMS), submitted, and the person's history is listed.
/// </summary>
public sealed class EApplicationsModel : PhonePageModel
{
    /// <summary>The chosen form (one of <see cref="EApplicationTypes.All"/>).</summary>
    [BindProperty(SupportsGet = true)]
    [StringLength(32)]
    public string? Type { get; set; }

    [BindProperty]
    [StringLength(64)]
    public string? SigningPassword { get; set; }

    /// <summary>The id of the application just received (after the redirect).</summary>
    [BindProperty(SupportsGet = true)]
    [StringLength(64)]
    public string? Received { get; set; }

    /// <summary>What the person typed into the form, shown again after a refusal.</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<EApplicationView> History { get; private set; } = [];

    /// <summary>True while the app holds a session the server still accepts.</summary>
    public bool LoggedIn
    {
        get => field && ErrorCode is not ("session-invalid" or "not-logged-in");
        private set;
    }

    public IReadOnlyList<EField> Fields => EApplicationForms.Fields(Type);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Type = EApplicationTypes.IsKnown(Type) ? Type : null;
        await WithAppAsync(async (_, phone) => await LoadHistoryAsync(phone, ct), ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        string? receivedId = null;
        var ok = await WithAppAsync(
            async (app, phone) =>
            {
                var token = RequireSession(phone);
                LoggedIn = true;
                if (!EApplicationTypes.IsKnown(Type))
                {
                    throw new AppException("unknown-e-application-type", "申請の種類を選んでください / Choose an e-application.");
                }

                var form = ReadForm();
                if (!ModelState.IsValid || string.IsNullOrEmpty(SigningPassword))
                {
                    throw new AppException("input-needed", "スマホ用署名用電子証明書のパスワードを入力してください / Enter your phone signing password.");
                }

                try
                {
                    var receipt = await app.SubmitEApplicationAsync(token, Type!, form, SigningPassword, ct);
                    receivedId = receipt.Application.Id;
                }
                finally
                {
                    await LoadHistoryAsync(phone, ct);
                }
            },
            ct);
        SigningPassword = null;
        return ok ? Redirect(PhoneUrl($"eapplications?received={Uri.EscapeDataString(receivedId!)}")) : Page();
    }

    /// <summary>The form's fields from the post, typed as the server expects; each value is kept for the page.</summary>
    private JsonElement ReadForm()
    {
        var form = new JsonObject();
        foreach (var field in Fields)
        {
            var raw = Request.Form[field.Name].ToString();
            if (raw.Length > EApplicationForms.MaxValueLength)
            {
                throw new AppException("bad-form", $"入力が長すぎます（{field.Ja}） / {field.En} is too long.");
            }

            Values[field.Name] = raw;
            var value = raw.Trim();
            switch (field.Input)
            {
                case "bool":
                    if (value == "true")
                    {
                        form[field.Name] = true;
                    }

                    break;
                case "int" or "int-select" when value.Length > 0:
                    // A number that does not parse is sent as text, so the server names the field in its refusal.
                    form[field.Name] = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : JsonValue.Create(value);
                    break;
                default:
                    if (value.Length > 0)
                    {
                        form[field.Name] = value;
                    }

                    break;
            }
        }

        return JsonSerializer.SerializeToElement(form);
    }

    private async Task LoadHistoryAsync(Device.VirtualPhone phone, CancellationToken ct)
    {
        if (SessionToken(phone) is not { } token)
        {
            return;
        }

        LoggedIn = true;
        History = await Devices.Api().GetEApplicationsAsync(token, 50, ct);
    }
}
