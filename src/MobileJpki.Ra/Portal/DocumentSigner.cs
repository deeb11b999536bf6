using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra.Portal;

/// <summary>
/// The service's document-signing key (a P-256 key, ES256): it signs the documents kiosks print. Kept as a PEM file
/// in the data directory (created, readable by the owner only, on first start) so every node signs with the same key;
/// its public half is published as a JWK set.
/// </summary>
public sealed class DocumentSigner : IDisposable
{
    private readonly ECDsa _key;

    private DocumentSigner(ECDsa key)
    {
        _key = key;
        var q = key.ExportParameters(false).Q;
        var x = Base64Url.EncodeToString(q.X);
        var y = Base64Url.EncodeToString(q.Y);

        // RFC 7638 thumbprint: a key id that changes only with the key.
        var thumbprint = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));
        PublicKey = new DocumentKey("EC", "P-256", thumbprint, "sig", "ES256", x, y);
    }

    public DocumentKey PublicKey { get; }

    /// <summary>Loads the key from <paramref name="pemPath"/>, creating it on first start.</summary>
    public static DocumentSigner LoadOrCreate(string pemPath)
    {
        var key = ECDsa.Create();
        if (File.Exists(pemPath))
        {
            key.ImportFromPem(File.ReadAllText(pemPath));
            return new DocumentSigner(key);
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        PrivateFiles.CreateParentDirectory(pemPath);
        var temp = $"{pemPath}.{Guid.NewGuid():N}.tmp";
        var options = PrivateFiles.Options(FileMode.CreateNew);

        using (var file = new StreamWriter(temp, Encoding.ASCII, options))
        {
            file.Write(key.ExportPkcs8PrivateKeyPem());
        }

        try
        {
            File.Move(temp, pemPath, overwrite: false);
        }
        catch (IOException) when (File.Exists(pemPath))
        {
            // Another node created it first: use theirs, so every node signs with one key.
            File.Delete(temp);
            key.ImportFromPem(File.ReadAllText(pemPath));
        }

        return new DocumentSigner(key);
    }

    /// <summary>A compact JWS of <paramref name="content"/>.</summary>
    public string Sign<T>(T content) => DocumentJws.Create(content, PublicKey.Kid, data => _key.SignData(data, HashAlgorithmName.SHA256));

    public void Dispose() => _key.Dispose();
}
