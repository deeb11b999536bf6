namespace MobileJpki.Core.Protocol;

/// <summary>Bounded decoding of a base64 field of a request; every failure is a clear bad-field error (400).</summary>
public static class Base64Field
{
    public static byte[] Decode(string? value, string field, int maxBytes)
    {
        if (string.IsNullOrEmpty(value) || value.Length > (maxBytes + 2) / 3 * 4)
        {
            throw MjpkiException.BadRequest("bad-field", $"'{field}' is missing or longer than {maxBytes} bytes.");
        }

        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            throw MjpkiException.BadRequest("bad-field", $"'{field}' is not valid base64.");
        }
    }
}
