using System.Text;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>An RFC 7512 <c>pkcs11:</c> key URI, reduced to what the CA needs to find and use one private key.</summary>
/// <remarks>
/// <para>Example: <c>pkcs11:token=mjpki-ca;object=ca-sign?module-path=/usr/lib/softhsm/libsofthsm2.so&amp;pin-source=file:/etc/mjpki/hsm.pin</c>.</para>
/// <para>Path attributes: <c>token</c> (the token label; slot ids change between starts, labels do not), <c>object</c>
/// (CKA_LABEL), optional <c>id</c> (CKA_ID, percent-encoded bytes; defaults to the UTF-8 bytes of <c>object</c>) and
/// optional <c>type=private</c>. Query attributes: <c>module-path</c>, and the PIN as <c>pin-value</c>,
/// <c>pin-source=file:/path</c> or <c>pin-source=env:NAME</c>; without any, the <see cref="DefaultPinVariable"/>
/// environment variable. Unknown attributes are refused so that a typo never silently selects another key.</para>
/// <para>The PIN is never part of <see cref="ToString"/> or of any error message: use <see cref="Redact"/> before
/// printing a URI.</para>
/// </remarks>
internal sealed class Pkcs11KeyUri
{
    public const string Scheme = "pkcs11";

    /// <summary>Environment variable read for the PIN when the URI names none.</summary>
    public const string DefaultPinVariable = "MJPKI_PKCS11_PIN";

    private static readonly string[] PathAttributes = ["token", "object", "id", "type"];
    private static readonly string[] QueryAttributes = ["module-path", "pin-value", "pin-source"];

    private readonly string? _pinValue;
    private readonly string? _pinSource;

    private Pkcs11KeyUri(string modulePath, string token, string objectLabel, byte[] id, string? pinValue, string? pinSource)
    {
        ModulePath = modulePath;
        Token = token;
        Object = objectLabel;
        Id = id;
        _pinValue = pinValue;
        _pinSource = pinSource;
    }

    public string ModulePath { get; }

    /// <summary>The token label (CKA token info label, trailing blanks trimmed).</summary>
    public string Token { get; }

    /// <summary>The key's CKA_LABEL.</summary>
    public string Object { get; }

    /// <summary>The key's CKA_ID.</summary>
    public byte[] Id { get; }

    /// <summary>What identifies the token inside a process (module and label): keys of one token share its sessions.</summary>
    public string TokenKey => ModulePath + "\n" + Token;

    public static bool IsPkcs11(string? keyUri) => keyUri is not null && keyUri.StartsWith(Scheme + ":", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="keyUri"/>; throws <see cref="MjpkiException"/> ("invalid-key-uri") naming the problem, never the PIN.</summary>
    public static Pkcs11KeyUri Parse(string keyUri)
    {
        if (!IsPkcs11(keyUri))
        {
            throw Invalid(keyUri, "it does not start with pkcs11:");
        }

        var body = keyUri[(Scheme.Length + 1)..];
        var queryStart = body.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? body : body[..queryStart];
        var query = queryStart < 0 ? string.Empty : body[(queryStart + 1)..];
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(keyUri, path, ';', PathAttributes, attributes);
        Collect(keyUri, query, '&', QueryAttributes, attributes);

        if (attributes.TryGetValue("type", out var type) && type != "private")
        {
            throw Invalid(keyUri, "type must be 'private' (the CA signs with a private key)");
        }

        if (!attributes.TryGetValue("token", out var token) || token.Length == 0)
        {
            throw Invalid(keyUri, "the token attribute (token label) is required");
        }

        if (!attributes.TryGetValue("object", out var label) || label.Length == 0)
        {
            throw Invalid(keyUri, "the object attribute (key label) is required");
        }

        if (!attributes.TryGetValue("module-path", out var module) || module.Length == 0)
        {
            throw Invalid(keyUri, "the module-path query attribute (the PKCS#11 library) is required");
        }

        if (attributes.ContainsKey("pin-value") && attributes.ContainsKey("pin-source"))
        {
            throw Invalid(keyUri, "give pin-value or pin-source, not both");
        }

        var id = attributes.TryGetValue("id", out var idText) ? Encoding.Latin1.GetBytes(idText) : Encoding.UTF8.GetBytes(label);
        if (id.Length == 0)
        {
            throw Invalid(keyUri, "id must not be empty");
        }

        attributes.TryGetValue("pin-value", out var pinValue);
        attributes.TryGetValue("pin-source", out var pinSource);
        if (pinSource is not null && !pinSource.StartsWith("file:", StringComparison.Ordinal) && !pinSource.StartsWith("env:", StringComparison.Ordinal))
        {
            throw Invalid(keyUri, "pin-source must be file:/path or env:NAME");
        }

        return new Pkcs11KeyUri(module, token, label, id, pinValue, pinSource);
    }

    /// <summary>Reads the PIN from where the URI says. Throws "hsm-pin-missing" when there is none; the message never holds the PIN.</summary>
    public string ReadPin()
    {
        if (_pinValue is not null)
        {
            return _pinValue;
        }

        if (_pinSource is not null && _pinSource.StartsWith("file:", StringComparison.Ordinal))
        {
            var file = _pinSource["file:".Length..];
            if (file.StartsWith("//", StringComparison.Ordinal))
            {
                file = file[2..];
            }

            try
            {
                return File.ReadAllText(file).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MjpkiException(ErrorKind.Internal, "hsm-pin-missing", $"The PIN file {file} of token '{Token}' could not be read: {e.GetType().Name}.");
            }
        }

        var variable = _pinSource is not null ? _pinSource["env:".Length..] : DefaultPinVariable;
        return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } pin
            ? pin
            : throw new MjpkiException(
                ErrorKind.Internal,
                "hsm-pin-missing",
                $"No PIN for token '{Token}': add pin-source=file:/path (or pin-value) to the key URI, or set {variable}.");
    }

    /// <summary>The URI without its PIN, for messages and logs.</summary>
    public override string ToString() => $"pkcs11:token={Escape(Token)};object={Escape(Object)}?module-path={Escape(ModulePath)}";

    /// <summary>A key URI safe to print: the value of <c>pin-value</c> is replaced by <c>***</c>; other schemes are returned as given.</summary>
    public static string Redact(string? keyUri)
    {
        if (keyUri is null || !IsPkcs11(keyUri))
        {
            return keyUri ?? string.Empty;
        }

        var queryStart = keyUri.IndexOf('?', StringComparison.Ordinal);
        if (queryStart < 0)
        {
            return keyUri;
        }

        var parts = keyUri[(queryStart + 1)..].Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            // Any pin-ish attribute, misspelt ones included, loses its value; pin-source only names where the PIN is.
            var equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? parts[i] : parts[i][..equals];
            if (name.Contains("pin", StringComparison.OrdinalIgnoreCase) && !name.Equals("pin-source", StringComparison.Ordinal))
            {
                parts[i] = name + "=***";
            }
        }

        return keyUri[..(queryStart + 1)] + string.Join('&', parts);
    }

    private static void Collect(string keyUri, string text, char separator, string[] allowed, Dictionary<string, string> into)
    {
        if (text.Length == 0)
        {
            return;
        }

        foreach (var part in text.Split(separator))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(keyUri, $"'{Shorten(part)}' is not name=value");
            }

            var name = part[..equals];
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                throw Invalid(keyUri, $"attribute '{Shorten(name)}' is not supported here (supported: {string.Join(", ", allowed)})");
            }

            string value;
            try
            {
                value = PercentDecode(part[(equals + 1)..], name == "id");
            }
            catch (FormatException)
            {
                throw Invalid(keyUri, $"attribute '{name}' has a bad percent-encoding");
            }

            if (!into.TryAdd(name, value))
            {
                throw Invalid(keyUri, $"attribute '{name}' appears twice");
            }
        }
    }

    /// <summary>RFC 3986 percent-decoding; UTF-8 for text, one byte per char (Latin-1) for <c>id</c>.</summary>
    private static string PercentDecode(string value, bool binary)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%')
            {
                if (i + 2 >= value.Length)
                {
                    throw new FormatException();
                }

                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        return binary ? Encoding.Latin1.GetString(bytes.ToArray()) : Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static string Shorten(string value) => value.Length <= 32 ? value : value[..32] + "…";

    private static MjpkiException Invalid(string keyUri, string reason) =>
        new(ErrorKind.Internal, "invalid-key-uri", $"Key URI '{Redact(keyUri)}' is not a usable pkcs11: URI: {reason}.");
}
