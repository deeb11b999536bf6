using System.Security.Cryptography;

namespace MobileJpki.Pki;

/// <summary>A key backend addressed by URI (<c>soft:NAME</c>, later <c>pkcs11:…</c>) that hands out standard RSA signers.</summary>
/// <remarks>
/// Kept to two methods on purpose (smallstep's KeyManager lesson): a backend only has to create and find keys;
/// everything else is done through the returned <see cref="RSA"/>, which an HSM backend implements by delegation.
/// The caller owns the returned object.
/// </remarks>
public interface IKeyProvider
{
    /// <summary>Generates a new RSA-2048 key under <paramref name="keyUri"/>; fails if one already exists there.</summary>
    RSA CreateKey(string keyUri);

    /// <summary>Returns the key stored under <paramref name="keyUri"/>, or null when there is none.</summary>
    RSA? TryGetKey(string keyUri);
}
