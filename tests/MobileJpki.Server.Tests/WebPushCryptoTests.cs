using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MobileJpki.Notifications;

namespace MobileJpki.Server.Tests;

/// <summary>Web Push message encryption (RFC 8291) and VAPID (RFC 8292), against the RFC's own example.</summary>
public sealed class WebPushCryptoTests
{
    // RFC 8291, Appendix A (the example of §5).
    private const string Plaintext = "When I grow up, I want to be a watermelon";
    private const string AsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    private const string AsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    private const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string AuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";
    private const string Expected =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    [Fact]
    public void Encrypt_Rfc8291AppendixA_ReproducesTheExampleExactly()
    {
        using var sender = PrivateKey(AsPrivate);
        Assert.Equal(AsPublic, Base64Url.EncodeToString(WebPushEncryption.ExportPublicKey(sender)));

        var body = WebPushEncryption.Encrypt(Encoding.ASCII.GetBytes(Plaintext), D(UaPublic), D(AuthSecret), sender, D(Salt));

        Assert.Equal(Expected, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void Decrypt_Rfc8291AppendixA_RecoversThePlaintextAndTheRfcsIntermediateKeys()
    {
        using var ua = PrivateKey(UaPrivate);

        var (plaintext, cek, nonce) = WebPushReceiver.Decrypt(D(Expected), ua, D(AuthSecret));

        Assert.Equal(Plaintext, Encoding.ASCII.GetString(plaintext));
        Assert.Equal("oIhVW04MRdy2XN9CiKLxTg", Base64Url.EncodeToString(cek));
        Assert.Equal("4h_95klXJ5E_qnoN", Base64Url.EncodeToString(nonce));
    }

    [Fact]
    public void Encrypt_FreshKeyAndSalt_DecryptsOnlyWithTheSubscriptionsKeys()
    {
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        var message = Encoding.UTF8.GetBytes("{\"title\":\"スマホ用電子証明書の発行が完了しました\"}");

        var first = WebPushEncryption.Encrypt(message, WebPushEncryption.ExportPublicKey(browser), auth);
        var second = WebPushEncryption.Encrypt(message, WebPushEncryption.ExportPublicKey(browser), auth);

        Assert.NotEqual(first, second);
        Assert.Equal(message, WebPushReceiver.Decrypt(first, browser, auth).Plaintext);
        Assert.ThrowsAny<CryptographicException>(() => WebPushReceiver.Decrypt(first, browser, RandomNumberGenerator.GetBytes(16)));
    }

    [Fact]
    public void Encrypt_TooLargeOrBadKeys_Refused()
    {
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = WebPushEncryption.ExportPublicKey(browser);
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt(new byte[WebPushEncryption.MaxPlaintext + 1], point, new byte[16]));
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt([1], point, new byte[15]));

        var offCurve = (byte[])point.Clone();
        offCurve[^1] ^= 1;
        Assert.True(WebPushEncryption.IsValidPublicKey(point));
        Assert.False(WebPushEncryption.IsValidPublicKey(offCurve));
        Assert.False(WebPushEncryption.IsValidPublicKey(point.AsSpan(0, 33)));
    }

    [Fact]
    public void VapidToken_Es256_VerifiesWithThePublicKeyAndCarriesAudExpSub()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-vapid-").FullName;
        try
        {
            var path = Path.Combine(dir, "vapid.pem");
            using var keys = VapidKeys.LoadOrCreate(path);
            using var again = VapidKeys.LoadOrCreate(path);
            Assert.Equal(keys.PublicKeyBase64Url, again.PublicKeyBase64Url);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
            var header = keys.Authorization(new Uri("https://push.example.net:8443/wpush/v2/abc?x=1"), "mailto:ops@example.jp", now, TimeSpan.FromHours(12));

            var claims = VapidHeader.Verify(header, keys.PublicKey);
            Assert.Equal("https://push.example.net:8443", claims.GetProperty("aud").GetString());
            Assert.Equal(now.AddHours(12).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
            Assert.Equal("mailto:ops@example.jp", claims.GetProperty("sub").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void VapidKeys_ConfiguredPairMustMatch()
    {
        using var keys = VapidKeys.FromBase64Url(AsPublic, AsPrivate);
        Assert.Equal(AsPublic, keys.PublicKeyBase64Url);
        Assert.Throws<InvalidOperationException>(() => VapidKeys.FromBase64Url(UaPublic, AsPrivate));
    }

    internal static ECDiffieHellman PrivateKey(string d) =>
        ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = D(d) });

    private static byte[] D(string s) => Base64Url.DecodeFromChars(s);
}

/// <summary>
/// The browser's side of RFC 8291, written from the RFC for the tests (independently of the sender): reads the
/// RFC 8188 header, derives the keys from the browser's private key and auth secret, and opens the record.
/// </summary>
internal static class WebPushReceiver
{
    public static (byte[] Plaintext, byte[] Cek, byte[] Nonce) Decrypt(byte[] body, ECDiffieHellman userAgent, byte[] authSecret)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        int idLength = body[20];
        Assert.Equal(65, idLength);
        var senderPublic = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        Assert.True(record.Length <= recordSize, "one record only");

        var q = userAgent.ExportParameters(false).Q;
        byte[] uaPublic = [0x04, .. q.X!, .. q.Y!];
        using var sender = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = senderPublic[1..33], Y = senderPublic[33..] },
        });
        var shared = userAgent.DeriveRawSecretAgreement(sender.PublicKey);

        // PRK_key = HMAC(auth_secret, ecdh_secret); IKM = HMAC(PRK_key, key_info ‖ 0x01).
        var prkKey = HMACSHA256.HashData(authSecret, shared);
        byte[] keyInfo = [.. "WebPush: info\0"u8, .. uaPublic, .. senderPublic, 0x01];
        var ikm = HMACSHA256.HashData(prkKey, keyInfo);

        // PRK = HMAC(salt, IKM); CEK and NONCE are the first 16 and 12 bytes of HMAC(PRK, info ‖ 0x01).
        var prk = HMACSHA256.HashData(salt, ikm);
        byte[] cekInfo = [.. "Content-Encoding: aes128gcm\0"u8, 0x01];
        byte[] nonceInfo = [.. "Content-Encoding: nonce\0"u8, 0x01];
        var cek = HMACSHA256.HashData(prk, cekInfo)[..16];
        var nonce = HMACSHA256.HashData(prk, nonceInfo)[..12];

        var padded = new byte[record.Length - 16];
        using (var aes = new AesGcm(cek, 16))
        {
            aes.Decrypt(nonce, record[..^16], record[^16..], padded);
        }

        // The last record ends with the delimiter 0x02, then optional zero padding.
        var end = Array.FindLastIndex(padded, b => b != 0);
        Assert.True(end >= 0 && padded[end] == 0x02, "the last record's delimiter must be 0x02");
        return (padded[..end], cek, nonce);
    }
}

/// <summary>Checks an RFC 8292 <c>Authorization: vapid t=…, k=…</c> header and returns the JWT's claims.</summary>
internal static class VapidHeader
{
    public static JsonElement Verify(string header, byte[] expectedPublicKey)
    {
        Assert.StartsWith("vapid ", header, StringComparison.Ordinal);
        var parameters = header["vapid ".Length..].Split(',').Select(p => p.Trim().Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var k = Base64Url.DecodeFromChars(parameters["k"]);
        Assert.Equal(expectedPublicKey, k);

        var parts = parameters["t"].Split('.');
        Assert.Equal(3, parts.Length);
        using var jwtHeader = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("ES256", jwtHeader.RootElement.GetProperty("alg").GetString());
        Assert.Equal("JWT", jwtHeader.RootElement.GetProperty("typ").GetString());

        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = k[1..33], Y = k[33..] },
        });
        var signature = Base64Url.DecodeFromChars(parts[2]);
        Assert.Equal(64, signature.Length);
        Assert.True(
            verifier.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            "the VAPID JWT does not verify with the key in k=");
        return JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
    }
}
