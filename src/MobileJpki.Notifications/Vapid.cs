using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MobileJpki.Core;

namespace MobileJpki.Notifications;

/// <summary>
/// The application server's VAPID identity (RFC 8292): a P-256 key whose public half browsers are given as
/// <c>applicationServerKey</c>, and which signs a short-lived ES256 JWT on every push request.
/// </summary>
public sealed class VapidKeys : IDisposable
{
    private readonly ECDsa _key;

    private VapidKeys(ECDsa key)
    {
        _key = key;
        PublicKey = WebPushEncryption.ExportPublicKey(key);
    }

    /// <summary>The uncompressed public point (65 bytes).</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyBase64Url => Base64Url.EncodeToString(PublicKey);

    /// <summary>From configured base64url keys; the public key must match the private one.</summary>
    public static VapidKeys FromBase64Url(string publicKey, string privateKey)
    {
        var d = Base64Url.DecodeFromChars(privateKey);
        var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        var keys = new VapidKeys(key);
        if (!keys.PublicKey.AsSpan().SequenceEqual(Base64Url.DecodeFromChars(publicKey)))
        {
            keys.Dispose();
            throw new InvalidOperationException("Notifications:WebPush:PublicKey does not belong to PrivateKey.");
        }

        return keys;
    }

    /// <summary>Loads the key pair from <paramref name="pemPath"/>, creating it (readable by the owner only) on first start.</summary>
    public static VapidKeys LoadOrCreate(string pemPath)
    {
        var key = ECDsa.Create();
        if (File.Exists(pemPath))
        {
            key.ImportFromPem(File.ReadAllText(pemPath));
            return new VapidKeys(key);
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        PrivateFiles.CreateParentDirectory(pemPath);
        var temp = pemPath + ".tmp";
        var options = PrivateFiles.Options(FileMode.Create);

        using (var file = new StreamWriter(temp, Encoding.ASCII, options))
        {
            file.Write(key.ExportPkcs8PrivateKeyPem());
        }

        File.Move(temp, pemPath, overwrite: false);
        return new VapidKeys(key);
    }

    /// <summary>The value of the Authorization header for a push to <paramref name="endpoint"/>: <c>vapid t=JWT, k=public key</c>.</summary>
    public string Authorization(Uri endpoint, string subject, DateTimeOffset now, TimeSpan lifetime) =>
        $"vapid t={CreateToken(endpoint, subject, now, lifetime)}, k={PublicKeyBase64Url}";

    /// <summary>An ES256 JWT: aud = the endpoint's origin, exp = now + lifetime (≤ 24 h), sub = the operator's contact.</summary>
    public string CreateToken(Uri endpoint, string subject, DateTimeOffset now, TimeSpan lifetime)
    {
        var header = Base64Url.EncodeToString("{\"typ\":\"JWT\",\"alg\":\"ES256\"}"u8);
        var claims = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = endpoint.GetLeftPart(UriPartial.Authority),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
            ["sub"] = subject,
        }));
        var signingInput = $"{header}.{claims}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    public void Dispose() => _key.Dispose();
}
