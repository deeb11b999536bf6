using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Keeps RSA keys as PKCS#8 PEM files in a directory, addressed as <c>soft:NAME</c>.</summary>
/// <remarks>
/// For development and the sandbox: the key is only as safe as the file system. Files are created 0600 (and the
/// directory 0700) on Unix so other local users cannot read them.
/// </remarks>
public sealed partial class SoftwareKeyProvider : IKeyProvider
{
    public const string Scheme = "soft";

    /// <summary>The RSA size every key of this service has (DESIGN.md: RSA-2048).</summary>
    public const int KeySizeBits = 2048;

    private readonly string _directory;

    /// <param name="directory">Where the <c>NAME.key.pem</c> files live; created on first key creation.</param>
    public SoftwareKeyProvider(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
    }

    public string Directory => _directory;

    /// <summary>The conventional location, <c>{DataDirectory}/keys</c>.</summary>
    public static SoftwareKeyProvider InDataDirectory(PkiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SoftwareKeyProvider(Path.Combine(options.DataDirectory, "keys"));
    }

    public RSA CreateKey(string keyUri)
    {
        var path = PathFor(keyUri);
        if (File.Exists(path))
        {
            throw MjpkiException.Conflict("key-exists", $"A key already exists under {keyUri}.");
        }

        PrivateFiles.CreateDirectory(_directory);
        var rsa = RSA.Create(KeySizeBits);
        try
        {
            // Write to a private temporary file first so a crash never leaves a truncated key under the real name.
            var temporary = Path.Combine(_directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            using (var stream = new FileStream(temporary, PrivateFiles.Options(FileMode.CreateNew)))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(rsa.ExportPkcs8PrivateKeyPem());
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
                throw MjpkiException.Conflict("key-exists", $"A key already exists under {keyUri}.");
            }

            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    public RSA? TryGetKey(string keyUri)
    {
        var path = PathFor(keyUri);
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new MjpkiException(ErrorKind.Internal, "key-unreadable", $"The key under {keyUri} is not a readable RSA PEM key.", e);
        }
    }

    /// <summary>Checks a <c>soft:NAME</c> URI without touching the disk.</summary>
    public static bool IsValidUri(string? keyUri) => TryParseName(keyUri, out _);

    private static bool TryParseName(string? keyUri, out string name)
    {
        name = string.Empty;
        if (keyUri is null || !keyUri.StartsWith(Scheme + ":", StringComparison.Ordinal))
        {
            return false;
        }

        var candidate = keyUri[(Scheme.Length + 1)..];
        if (!NamePattern().IsMatch(candidate))
        {
            return false;
        }

        name = candidate;
        return true;
    }

    private string PathFor(string keyUri)
    {
        if (!TryParseName(keyUri, out var name))
        {
            // The restricted alphabet is what keeps a URI from naming a file outside the key directory.
            throw new MjpkiException(
                ErrorKind.Internal,
                "invalid-key-uri",
                $"Key URI '{keyUri}' is not of the form soft:NAME with NAME made of a-z, 0-9 and '-' (at most 64).");
        }

        return Path.Combine(_directory, name + ".key.pem");
    }

    [GeneratedRegex(@"\A[a-z0-9-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
