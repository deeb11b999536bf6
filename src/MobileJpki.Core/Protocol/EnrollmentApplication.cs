using System.Text.Json;
using System.Text.Json.Serialization;

namespace MobileJpki.Core.Protocol;

/// <summary>
/// The content of a 利用申請 (application for phone certificates). The portal app serialises it as JSON
/// and the card's signing key signs it as CMS SignedData (id-data, encapsulated), so any CMS tool can
/// verify who applied.
/// </summary>
public sealed record EnrollmentApplication
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")]
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Fresh random bytes (base64, 32 bytes); also the seed of the SE attestation challenge.</summary>
    [JsonPropertyName("nonce")]
    public required string Nonce { get; init; }

    [JsonPropertyName("createdAt")]
    public required DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("device")]
    public required DeviceFacts Device { get; init; }

    /// <summary>SHA-256 (base64) of the secret the app will present on later calls for this phone.</summary>
    [JsonPropertyName("deviceSecretHash")]
    public required string DeviceSecretHash { get; init; }

    /// <summary>One entry per kind applied for ("sign", "auth").</summary>
    [JsonPropertyName("keys")]
    public required IReadOnlyList<ApplicationKey> Keys { get; init; }

    /// <summary>Where the person wants e-mail notices; optional.</summary>
    [JsonPropertyName("email")]
    public string? Email { get; init; }

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ProtocolJson.Options);

    /// <summary>The SE attestation challenge bound to this application: SHA-256("mjpki-apply" || nonce).</summary>
    public static byte[] AttestationChallenge(byte[] nonce)
    {
        var prefix = "mjpki-apply"u8;
        var buffer = new byte[prefix.Length + nonce.Length];
        prefix.CopyTo(buffer);
        nonce.CopyTo(buffer.AsSpan(prefix.Length));
        return System.Security.Cryptography.SHA256.HashData(buffer);
    }
}

/// <summary>What the phone says about itself.</summary>
public sealed record DeviceFacts
{
    [JsonPropertyName("phoneId")]
    public required string PhoneId { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("os")]
    public required string Os { get; init; }
}

/// <summary>A key generated inside the SE for one kind, with the SE's attestation chain (leaf first).</summary>
public sealed record ApplicationKey
{
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>SubjectPublicKeyInfo, base64 DER.</summary>
    [JsonPropertyName("publicKey")]
    public required string PublicKey { get; init; }

    /// <summary>Key attestation certificate, then the device certificate (base64 DER each).</summary>
    [JsonPropertyName("attestation")]
    public required IReadOnlyList<string> Attestation { get; init; }
}

/// <summary>Shared JSON settings for the wire protocol.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = 16,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };
}
