using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core;

namespace MobileJpki.Server.Oidc;

/// <summary>
/// The OIDC provider's own keys, kept under the data directory (<c>oidc/</c>, files 0600) so tokens, JWKS and
/// pairwise subjects survive restarts and are shared by nodes that share the directory: an RSA key that signs tokens,
/// an RSA key that encrypts access and refresh tokens, and the HMAC key of pairwise subjects.
/// </summary>
public sealed class OidcKeys
{
    private OidcKeys(RSA signing, RSA encryption, byte[] pairwise)
    {
        Signing = signing;
        Encryption = encryption;
        Pairwise = pairwise;
        SigningKeyId = KeyId(signing);
        EncryptionKeyId = KeyId(encryption);
    }

    public RSA Signing { get; }

    public RSA Encryption { get; }

    public byte[] Pairwise { get; }

    public string SigningKeyId { get; }

    public string EncryptionKeyId { get; }

    public static OidcKeys LoadOrCreate(string dataDirectory)
    {
        var dir = Path.Combine(dataDirectory, "oidc");
        PrivateFiles.CreateDirectory(dir);
        var signing = LoadOrCreateRsa(Path.Combine(dir, "signing-key.pem"));
        var encryption = LoadOrCreateRsa(Path.Combine(dir, "encryption-key.pem"));
        var pairwise = Convert.FromBase64String(LoadOrCreate(Path.Combine(dir, "pairwise.key"), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Trim());
        return new OidcKeys(signing, encryption, pairwise);
    }

    private static RSA LoadOrCreateRsa(string path)
    {
        var rsa = RSA.Create();
        var pem = LoadOrCreate(path, () =>
        {
            using var fresh = RSA.Create(2048);
            return fresh.ExportPkcs8PrivateKeyPem();
        });
        rsa.ImportFromPem(pem);
        return rsa;
    }

    /// <summary>Reads the file, or writes <paramref name="create"/>'s text readable by the owner only; a node that loses the race reads the winner's.</summary>
    private static string LoadOrCreate(string path, Func<string> create)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }

        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = PrivateFiles.Options(FileMode.CreateNew);

        using (var file = new StreamWriter(temp, Encoding.ASCII, options))
        {
            file.Write(create());
        }

        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }

        return File.ReadAllText(path);
    }

    private static string KeyId(RSA key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
}
