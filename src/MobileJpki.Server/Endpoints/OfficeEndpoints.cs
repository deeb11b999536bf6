using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Ra.Office;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>
/// 市区町村窓口 (municipal office): issues My Number Cards' certificates, and the card events after issue (address or
/// name change, renewal, loss, found, counter PIN reset), each audited with actor "office".
/// </summary>
internal static class OfficeEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/office/cards", IssueCardAsync)
            .WithTags("Municipal office")
            .WithSummary("Issue the two certificates of a new My Number Card (署名用・利用者証明用)")
            .Produces<CardIssueResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithMetadata(new RequestSizeLimitMetadata(16 * 1024));

        MapEvent<AddressChangeRequest>(app, "address-change", "住所・氏名の変更: replace the card signing certificate; the phone signing certificates are revoked", ChangeAddressAsync);
        MapEvent<CardRenewalRequest>(app, "renew", "カードの更新: replace both card certificates; every phone certificate is revoked", RenewAsync);
        MapEvent<CardLossRequest>(app, "lose", "カードの紛失: card certificates on hold, or (final) revoked with the phone certificates", LoseAsync);
        MapEvent<CardLossRequest>(app, "found", "カードの発見: lift a lost card's hold", FoundAsync);
        MapEvent<PinResetRecordRequest>(app, "reset-pin", "暗証番号の初期化 at the counter: check the card and record the act", ResetPinAsync);
    }

    private static void MapEvent<TBody>(IEndpointRouteBuilder app, string action, string summary, Func<TBody, MunicipalOffice, ICertificateAuthority, AuditCaller?, CancellationToken, Task<OfficeEventResponse>> handler)
        where TBody : class
    {
        app.MapPost($"/api/v1/office/{action}", async (TBody body, HttpContext http, MunicipalOffice office, ICertificateAuthority ca, IOptions<OfficeOptions> options, IOptions<SandboxOptions> sandbox, CancellationToken ct) =>
            {
                var audit = http.RequestServices.GetService<IAuditLog>();
                var source = http.Connection.RemoteIpAddress?.ToString();
                try
                {
                    Authorize(http.Request, options.Value, sandbox.Value);

                    // The event's entry is written in the event's own transaction (the store appends it), except for the
                    // counter PIN reset: the record is the whole act, so its entry stands alone.
                    var response = await handler(body, office, ca, audit is null ? null : new AuditCaller("office", null, source), ct);
                    if (audit is not null && response.Action == "reset-pin")
                    {
                        await audit.AppendAsync(new AuditEvent("office", null, "office.reset-pin", response.PersonId, null, source, "ok"), ct);
                    }

                    return Results.Json(response);
                }
                catch (MjpkiException ex) when (audit is not null)
                {
                    // Refusals are recorded too, naming only what the caller gave (an id or a serial, never 基本4情報).
                    await audit.AppendAsync(new AuditEvent("office", null, "office." + action, TargetOf(body), null, source, ex.Code), CancellationToken.None);
                    throw;
                }
            })
            .WithTags("Municipal office")
            .WithSummary(summary)
            .Produces<OfficeEventResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithMetadata(new RequestSizeLimitMetadata(16 * 1024));
    }

    private static async Task<OfficeEventResponse> ChangeAddressAsync(AddressChangeRequest body, MunicipalOffice office, ICertificateAuthority ca, AuditCaller? by, CancellationToken ct)
    {
        var card = CardOf(body.PersonId, body.CardSerial, by);
        var name = body.Name is null ? null : Inputs.Text(body.Name, "name", 100);
        var nameAlt = body.NameAlt is null ? null : Inputs.Text(body.NameAlt, "nameAlt", 100);
        var address = body.Address is null ? null : Inputs.Text(body.Address, "address", 200);
        var addressAlt = body.AddressAlt is null ? null : Inputs.Text(body.AddressAlt, "addressAlt", 200);
        var key = Inputs.Base64(body.SigningPublicKey, "signingPublicKey", 1024);
        var result = await office.ChangeAddressAsync(card, name, nameAlt, address, addressAlt, key, ct);
        return Respond("address-change", result, ca, "署名用電子証明書を更新しました。スマホの署名用電子証明書は失効しました / The card signing certificate was replaced; the phone signing certificates were revoked.");
    }

    private static async Task<OfficeEventResponse> RenewAsync(CardRenewalRequest body, MunicipalOffice office, ICertificateAuthority ca, AuditCaller? by, CancellationToken ct)
    {
        var card = CardOf(body.PersonId, body.CardSerial, by);
        var signingKey = Inputs.Base64(body.SigningPublicKey, "signingPublicKey", 1024);
        var authKey = Inputs.Base64(body.AuthPublicKey, "authPublicKey", 1024);
        var result = await office.RenewAsync(card, signingKey, authKey, ct);
        return Respond("renew", result, ca, "カードの電子証明書を更新しました。スマホ用電子証明書は新たな申請が必要です / The card certificates were renewed; the phone needs a new application.");
    }

    private static async Task<OfficeEventResponse> LoseAsync(CardLossRequest body, MunicipalOffice office, ICertificateAuthority ca, AuditCaller? by, CancellationToken ct)
    {
        var result = await office.ReportLossAsync(CardOf(body.PersonId, body.CardSerial, by), body.Final, ct);
        return Respond(
            body.Final ? "lose-final" : "lose",
            result,
            ca,
            body.Final
                ? "カードの電子証明書とスマホ用電子証明書を失効しました / The card certificates and the phone certificates were revoked."
                : "カードの電子証明書を一時停止しました / The card certificates are on hold.");
    }

    private static async Task<OfficeEventResponse> FoundAsync(CardLossRequest body, MunicipalOffice office, ICertificateAuthority ca, AuditCaller? by, CancellationToken ct)
    {
        var result = await office.ReportFoundAsync(CardOf(body.PersonId, body.CardSerial, by), ct);
        return Respond("found", result, ca, "カードの電子証明書の一時停止を解除しました / The hold on the card certificates was lifted.");
    }

    private static async Task<OfficeEventResponse> ResetPinAsync(PinResetRecordRequest body, MunicipalOffice office, ICertificateAuthority ca, AuditCaller? by, CancellationToken ct)
    {
        var kind = body.Kind switch
        {
            "sign" => CertificateKind.CardSigning,
            "auth" => CertificateKind.CardAuth,
            _ => throw MjpkiException.BadRequest("bad-field", "'kind' must be sign or auth."),
        };
        var personId = await office.CheckPinResetAsync(Inputs.Text(body.CardSerial, "cardSerial", 64), kind, ct);

        return new OfficeEventResponse(personId.ToString(), "reset-pin", [], [], null, null, null, null, "暗証番号の初期化を記録しました / The PIN reset was recorded.");
    }

    private static CardRef CardOf(string? personId, string? cardSerial, AuditCaller? by)
    {
        Guid? id = null;
        if (personId is not null)
        {
            id = Guid.TryParse(personId, out var parsed) ? parsed : throw MjpkiException.BadRequest("bad-field", "'personId' is not a person id.");
        }

        return new CardRef(id, cardSerial is null ? null : Inputs.Text(cardSerial, "cardSerial", 64), by);
    }

    private static OfficeEventResponse Respond(string action, CardEventResult result, ICertificateAuthority ca, string message)
    {
        var signing = result.Issued.FirstOrDefault(c => c.Kind == CertificateKind.CardSigning);
        var auth = result.Issued.FirstOrDefault(c => c.Kind == CertificateKind.CardAuth);
        return new OfficeEventResponse(
            result.PersonId.ToString(),
            action,
            result.CardCertificates.Select(View).ToArray(),
            result.PhoneCertificates.Select(View).ToArray(),
            signing is null ? null : Convert.ToBase64String(signing.Der),
            signing is null ? null : Convert.ToBase64String(ca.CaCertificate(Hierarchy.Signing).RawData),
            auth is null ? null : Convert.ToBase64String(auth.Der),
            auth is null ? null : Convert.ToBase64String(ca.CaCertificate(Hierarchy.Auth).RawData),
            message);
    }

    private static OfficeCertificateView View(CertificateRecord c) => new(
        c.Serial,
        (c.Kind is CertificateKind.CardSigning or CertificateKind.CardAuth ? "card-" : "phone-") + c.Kind.HierarchyOf().WireName(),
        c.Status.ToString().ToLowerInvariant(),
        c.RevocationReason,
        c.PhoneId);

    private static string? TargetOf(object body)
    {
        var target = body switch
        {
            AddressChangeRequest r => r.PersonId ?? r.CardSerial,
            CardRenewalRequest r => r.PersonId ?? r.CardSerial,
            CardLossRequest r => r.PersonId ?? r.CardSerial,
            PinResetRecordRequest r => r.CardSerial,
            _ => null,
        };
        return target is null ? null : target[..Math.Min(target.Length, 64)];
    }

    private static async Task<IResult> IssueCardAsync(
        CardIssueRequest body,
        HttpRequest request,
        RegistrationAuthority ra,
        ICertificateAuthority ca,
        IOptions<OfficeOptions> office,
        IOptions<SandboxOptions> sandbox,
        TimeProvider time,
        CancellationToken ct)
    {
        var audit = request.HttpContext.RequestServices.GetService<IAuditLog>();
        var source = request.HttpContext.Connection.RemoteIpAddress?.ToString();
        Guid personId;
        byte[] signing, auth;
        try
        {
            Authorize(request, office.Value, sandbox.Value);
            var info = ParsePerson(body, time.GetUtcNow());
            var signingKey = Inputs.Base64(body.SigningPublicKey, "signingPublicKey", 1024);
            var authKey = Inputs.Base64(body.AuthPublicKey, "authPublicKey", 1024);
            (personId, signing, auth) = await ra.IssueCardAsync(info, signingKey, authKey, audit is null ? null : new AuditCaller("office", null, source), ct);
        }
        catch (MjpkiException ex) when (audit is not null)
        {
            await audit.AppendAsync(new AuditEvent("office", null, "office.issue-card", null, null, source, ex.Code), CancellationToken.None);
            throw;
        }

        var response = new CardIssueResponse(
            personId.ToString(),
            Convert.ToBase64String(signing),
            Convert.ToBase64String(ca.CaCertificate(Hierarchy.Signing).RawData),
            Convert.ToBase64String(auth),
            Convert.ToBase64String(ca.CaCertificate(Hierarchy.Auth).RawData));
        return Results.Json(response, statusCode: StatusCodes.Status201Created);
    }

    private static void Authorize(HttpRequest request, OfficeOptions office, SandboxOptions sandbox)
    {
        if (string.IsNullOrEmpty(office.ApiKey))
        {
            if (!sandbox.Enabled)
            {
                throw MjpkiException.Forbidden("office-closed", "The office API needs Office:ApiKey outside sandbox mode.");
            }

            return;
        }

        var given = Inputs.Bearer(request) ?? string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(office.ApiKey))))
        {
            throw new MjpkiException(ErrorKind.Unauthorized, "office-unauthorized", "The office API key is missing or wrong.");
        }
    }

    private static Basic4Info ParsePerson(CardIssueRequest body, DateTimeOffset now)
    {
        var gender = body.Gender switch
        {
            "male" => Gender.Male,
            "female" => Gender.Female,
            "other" => Gender.Other,
            _ => throw MjpkiException.BadRequest("bad-field", "'gender' must be male, female or other."),
        };
        if (!DateOnly.TryParseExact(body.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birth)
            || birth.Year < 1900 || birth > DateOnly.FromDateTime(now.ToOffset(ProcessingWindow.Jst).DateTime))
        {
            throw MjpkiException.BadRequest("bad-field", "'birthDate' must be a past date YYYY-MM-DD after 1900.");
        }

        return new Basic4Info(
            Inputs.Text(body.Name, "name", 100),
            body.NameAlt is null ? null : Inputs.Text(body.NameAlt, "nameAlt", 100),
            gender,
            birth,
            Inputs.Text(body.Address, "address", 200),
            body.AddressAlt is null ? null : Inputs.Text(body.AddressAlt, "addressAlt", 200));
    }
}
