using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Ra;
using MobileJpki.Server.Hosting;

namespace MobileJpki.Server.Endpoints;

/// <summary>市区町村窓口 (municipal office): issues My Number Cards' certificates.</summary>
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
        Authorize(request, office.Value, sandbox.Value);
        var info = ParsePerson(body, time.GetUtcNow());
        var signingKey = Inputs.Base64(body.SigningPublicKey, "signingPublicKey", 1024);
        var authKey = Inputs.Base64(body.AuthPublicKey, "authPublicKey", 1024);
        var (personId, signing, auth) = await ra.IssueCardAsync(info, signingKey, authKey, ct);
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
