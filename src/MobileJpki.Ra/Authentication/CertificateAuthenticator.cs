using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>Who proved possession of an auth (or signing) key: the person, the certificate, its kind.</summary>
public sealed record AuthenticatedCertificate(Guid PersonId, string Serial, CertificateKind Kind, byte[] Der, DateTimeOffset NotAfter, string? PhoneId = null);

/// <summary>
/// Checks a signature made with a JPKI key (in the phone's SE or on the card) for login, approval and relying
/// parties: the certificate is one we issued (the same bytes as our record, signed by our CA of its hierarchy), of an
/// allowed kind, valid now and Active (suspended, revoked and expired each get their own reason), and the signature
/// over <c>data</c> verifies with its key (RSA PKCS#1 v1.5, SHA-256, as the SE's COMPUTE DIGITAL SIGNATURE makes it).
/// </summary>
/// <remarks>Errors never name the person: a wrong signature and a certificate we do not know both say "not accepted".</remarks>
public sealed class CertificateAuthenticator(IRaStore store, ICertificateAuthority ca, TimeProvider time)
{
    /// <summary>Enough for every certificate that logs in within a while; past it the cache starts again.</summary>
    private const int MaxCachedKeys = 50_000;

    private readonly ConcurrentDictionary<Hierarchy, RSA> _caKeys = new();

    // Certificates are immutable: once these exact bytes were found signed by our CA, their key is kept imported
    // (parsing and importing cost more than the RSA verification itself). Status is still read on every use.
    private readonly ConcurrentDictionary<string, CheckedKey> _keys = new(StringComparer.Ordinal);

    public async Task<AuthenticatedCertificate> VerifyAsync(byte[] certificateDer, ReadOnlyMemory<byte> data, byte[] signature, IReadOnlyCollection<CertificateKind> allowedKinds, CancellationToken ct)
    {
        if (certificateDer.Length is 0 or > 8192 || signature.Length is 0 or > 1024
            || !DerCertificate.TryParse(certificateDer, out var cert) || cert is null)
        {
            throw NotAccepted();
        }

        var record = await store.GetCertificateAsync(cert.SerialNumberHex, ct);
        if (record?.Der is null || !record.Der.AsSpan().SequenceEqual(certificateDer) || !allowedKinds.Contains(record.Kind)
            || CheckedKeyOf(record.Serial, certificateDer, cert, record.Kind.HierarchyOf()) is not { } key)
        {
            throw NotAccepted();
        }

        var now = time.GetUtcNow();
        switch (record.Status)
        {
            case CertificateStatus.Suspended:
                throw new MjpkiException(ErrorKind.Forbidden, "certificate-suspended", "この電子証明書は一時利用停止中です。マイナポータルアプリから解除してください / This certificate is suspended; resume it in the app.");
            case CertificateStatus.Revoked:
                throw new MjpkiException(ErrorKind.Forbidden, "certificate-revoked", "この電子証明書は失効しています / This certificate has been revoked.");
            case CertificateStatus.Active:
                break;
            default:
                // Issued but not registered (利用登録) yet, or only reserved.
                throw new MjpkiException(ErrorKind.Forbidden, "certificate-not-registered", "この電子証明書は利用登録されていません / This certificate has not been registered (利用登録) yet.");
        }

        if (now < record.NotBefore || now >= record.NotAfter)
        {
            throw new MjpkiException(ErrorKind.Forbidden, "certificate-expired", "この電子証明書は有効期限が切れています / This certificate has expired.");
        }

        if (!key.VerifyData(data.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            throw NotAccepted();
        }

        return new AuthenticatedCertificate(record.PersonId, record.Serial, record.Kind, record.Der, record.NotAfter, record.PhoneId);
    }

    /// <summary>The certificate's RSA key once its bytes are known signed by our CA of that hierarchy; null otherwise.</summary>
    private RSA? CheckedKeyOf(string serial, byte[] der, DerCertificate cert, Hierarchy hierarchy)
    {
        if (_keys.TryGetValue(serial, out var known) && known.Der.AsSpan().SequenceEqual(der))
        {
            return known.Key;
        }

        if (!cert.IsSignedBy(CaKey(hierarchy)) || cert.ImportPublicKey() is not RSA key)
        {
            return null;
        }

        if (_keys.Count >= MaxCachedKeys)
        {
            // Dropped keys may still be in use by another request: the GC disposes of them.
            _keys.Clear();
        }

        _keys[serial] = new CheckedKey((byte[])der.Clone(), key);
        return key;
    }

    private RSA CaKey(Hierarchy hierarchy) => _caKeys.GetOrAdd(hierarchy, h => ca.CaCertificate(h).GetRSAPublicKey()!);

    private sealed record CheckedKey(byte[] Der, RSA Key);

    private static MjpkiException NotAccepted() =>
        new(ErrorKind.Unauthorized, "signature-not-accepted", "署名または電子証明書を確認できませんでした / The signature or the certificate was not accepted.");
}
