using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Sends each key URI to the backend of its scheme: <c>soft:</c> → files, <c>pkcs11:</c> → an HSM.</summary>
/// <remarks>
/// The PKCS#11 backend is only created when a <c>pkcs11:</c> URI is used, so a software-only sandbox never loads a
/// native module. Owns and disposes the backends it was given.
/// </remarks>
public sealed class KeyProviders : IKeyProvider, IDisposable
{
    private readonly SoftwareKeyProvider _software;
    private readonly Lazy<Pkcs11KeyProvider> _pkcs11 = new(() => new Pkcs11KeyProvider(), LazyThreadSafetyMode.ExecutionAndPublication);

    public KeyProviders(SoftwareKeyProvider software)
    {
        ArgumentNullException.ThrowIfNull(software);
        _software = software;
    }

    /// <summary>
    /// The providers for <paramref name="options"/> (software keys under <c>{DataDirectory}/keys</c>), with every
    /// configured <c>pkcs11:</c> key's module, token and PIN checked now: bad configuration fails at start with a clear
    /// message (never the PIN) instead of at the first signature.
    /// </summary>
    public static KeyProviders ForOptions(PkiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var providers = new KeyProviders(SoftwareKeyProvider.InDataDirectory(options));
        try
        {
            foreach (var uri in new[] { options.SigningCaKeyUri, options.AuthCaKeyUri })
            {
                if (Pkcs11KeyUri.IsPkcs11(uri))
                {
                    providers._pkcs11.Value.Check(uri);
                }
            }

            return providers;
        }
        catch
        {
            providers.Dispose();
            throw;
        }
    }

    /// <summary>A key URI safe to print in messages and logs (a <c>pin-value</c> is masked).</summary>
    public static string Redact(string? keyUri) => Pkcs11KeyUri.Redact(keyUri);

    public RSA CreateKey(string keyUri) => For(keyUri).CreateKey(keyUri);

    public RSA? TryGetKey(string keyUri) => For(keyUri).TryGetKey(keyUri);

    public void Dispose()
    {
        if (_pkcs11.IsValueCreated)
        {
            _pkcs11.Value.Dispose();
        }
    }

    private IKeyProvider For(string keyUri)
    {
        ArgumentNullException.ThrowIfNull(keyUri);
        if (keyUri.StartsWith(SoftwareKeyProvider.Scheme + ":", StringComparison.Ordinal))
        {
            return _software;
        }

        if (Pkcs11KeyUri.IsPkcs11(keyUri))
        {
            return _pkcs11.Value;
        }

        var colon = keyUri.IndexOf(':', StringComparison.Ordinal);
        throw new MjpkiException(
            ErrorKind.Internal,
            "invalid-key-uri",
            $"Key URI scheme '{(colon > 0 ? keyUri[..colon] : Redact(keyUri))}' is not supported; use soft:NAME or pkcs11:….");
    }
}
