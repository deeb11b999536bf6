using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Server.Endpoints;

/// <summary>Bounded decoding of request fields; every failure is a clear 400.</summary>
internal static class Inputs
{
    public static byte[] Base64(string? value, string field, int maxBytes) => Base64Field.Decode(value, field, maxBytes);

    public static string Text(string? value, string field, int maxChars, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? throw MjpkiException.BadRequest("bad-field", $"'{field}' is required.") : string.Empty;
        }

        if (value.Length > maxChars || value.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("bad-field", $"'{field}' must be at most {maxChars} printable characters.");
        }

        return value.Trim();
    }

    public static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }
}
