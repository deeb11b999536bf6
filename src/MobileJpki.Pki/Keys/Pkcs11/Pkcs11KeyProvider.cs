using System.Security.Cryptography;
using MobileJpki.Core;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace MobileJpki.Pki;

/// <summary>Keeps RSA keys in an HSM over PKCS#11, addressed by RFC 7512 URIs (see <see cref="Pkcs11KeyUri"/>).</summary>
/// <remarks>
/// <para>Keys are generated inside the token as RSA-2048 with CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE and CKA_SIGN set
/// and CKA_EXTRACTABLE cleared, labelled (CKA_LABEL and CKA_ID) with the URI's <c>object</c>. The returned
/// <see cref="RSA"/> signs inside the token; <c>ExportParameters(true)</c> throws.</para>
/// <para>One loaded module per library path and one <see cref="Pkcs11Token"/> (session pool, recovery) per token are
/// shared by all keys of this provider. Dispose the provider when the process ends: it closes the sessions and
/// finalises the modules; the keys it handed out stop working then.</para>
/// </remarks>
public sealed class Pkcs11KeyProvider : IKeyProvider, IDisposable
{
    public const string Scheme = Pkcs11KeyUri.Scheme;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pkcs11Module> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pkcs11Token> _tokens = new(StringComparer.Ordinal);
    private bool _disposed;

    public RSA CreateKey(string keyUri)
    {
        var uri = Pkcs11KeyUri.Parse(keyUri);
        var token = TokenFor(uri);
        return token.Run((session, generation) =>
        {
            // Any object under the label counts (a lone public key or certificate too): never mint a second key beside it.
            var factory = session.Factories.ObjectAttributeFactory;
            var existing = session.FindAllObjects([factory.Create(CKA.CKA_LABEL, uri.Object)]);
            if (existing.Count > 0)
            {
                throw MjpkiException.Conflict("key-exists", $"Token '{uri.Token}' already holds an object labelled '{uri.Object}' ({uri}).");
            }

            List<IObjectAttribute> publicTemplate =
            [
                factory.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                factory.Create(CKA.CKA_TOKEN, true),
                factory.Create(CKA.CKA_PRIVATE, false),
                factory.Create(CKA.CKA_LABEL, uri.Object),
                factory.Create(CKA.CKA_ID, uri.Id),
                factory.Create(CKA.CKA_VERIFY, true),
                factory.Create(CKA.CKA_ENCRYPT, false),
                factory.Create(CKA.CKA_WRAP, false),
                factory.Create(CKA.CKA_MODULUS_BITS, (ulong)SoftwareKeyProvider.KeySizeBits),
                factory.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }),
            ];
            List<IObjectAttribute> privateTemplate =
            [
                factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
                factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                factory.Create(CKA.CKA_TOKEN, true),
                factory.Create(CKA.CKA_PRIVATE, true),
                factory.Create(CKA.CKA_LABEL, uri.Object),
                factory.Create(CKA.CKA_ID, uri.Id),
                factory.Create(CKA.CKA_SENSITIVE, true),
                factory.Create(CKA.CKA_EXTRACTABLE, false),
                factory.Create(CKA.CKA_SIGN, true),
                factory.Create(CKA.CKA_DECRYPT, false),
                factory.Create(CKA.CKA_UNWRAP, false),
            ];
            using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN);
            session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out _, out var privateKey);
            return new Pkcs11Rsa(token, uri, Pkcs11Rsa.ReadPublic(session, privateKey), generation, privateKey);
        });
    }

    public RSA? TryGetKey(string keyUri)
    {
        var uri = Pkcs11KeyUri.Parse(keyUri);
        var token = TokenFor(uri);
        return token.Run<RSA?>((session, generation) => Pkcs11Rsa.Find(session, uri) is { } handle
            ? new Pkcs11Rsa(token, uri, Pkcs11Rsa.ReadPublic(session, handle), generation, handle)
            : null);
    }

    /// <summary>Loads the module, finds the token and logs in now, so that bad configuration fails at start.</summary>
    public void Check(string keyUri) => TokenFor(Pkcs11KeyUri.Parse(keyUri)).Connect();

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var token in _tokens.Values)
            {
                token.Dispose();
            }

            foreach (var module in _modules.Values)
            {
                module.Dispose();
            }

            _tokens.Clear();
            _modules.Clear();
        }
    }

    private Pkcs11Token TokenFor(Pkcs11KeyUri uri)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_tokens.TryGetValue(uri.TokenKey, out var token))
            {
                if (!_modules.TryGetValue(uri.ModulePath, out var module))
                {
                    module = new Pkcs11Module(uri.ModulePath);
                    _modules.Add(uri.ModulePath, module);
                }

                token = new Pkcs11Token(module, uri);
                _tokens.Add(uri.TokenKey, token);
            }

            return token;
        }
    }
}
