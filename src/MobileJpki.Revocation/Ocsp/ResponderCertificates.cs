using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>
/// Issues, keeps and renews the delegated OCSP responder certificate of each CA (docs/revocation.md, "Responder
/// certificate"): RSA-2048 software key, validity <see cref="RevocationOptions.ResponderValidity"/> (30 days),
/// renewed <see cref="RevocationOptions.ResponderRenewBefore"/> (7 days) before it ends, or at once when the clock
/// was set before its notBefore. The CA key signs one certificate per renewal, nothing else; it may live in an HSM
/// while the responder key is a file under <c>{DataDirectory}/ocsp/</c> (mode 600).
/// </summary>
/// <remarks>
/// When renewal fails (the HSM is gone), the current responder keeps signing until it expires: every response names
/// its own certificate, so responses of an old and a new responder verify alike.
/// </remarks>
public sealed class ResponderCertificates : IOcspSigners, IDisposable
{
    public const string OcspSigningOid = "1.3.6.1.5.5.7.3.9";
    public const string OcspNoCheckOid = "1.3.6.1.5.5.7.48.1.5";

    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly string? _directory;
    private readonly TimeProvider _time;
    private readonly RevocationOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<Hierarchy, OcspSigner> _current = [];
    private readonly List<OcspSigner> _retired = [];

    /// <param name="directory">Where the key and certificate files live; null keeps them in memory only (tests).</param>
    public ResponderCertificates(IEnumerable<RevocationIssuer> issuers, string? directory, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _directory = directory;
        _time = time;
        _options = options;
    }

    /// <summary>Certificates issued by this instance (renewals included).</summary>
    public int Issued { get; private set; }

    public OcspSigner For(Hierarchy hierarchy)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _current.TryGetValue(hierarchy, out var current);
            if (current is not null && !Due(current, now))
            {
                return current;
            }

            try
            {
                var next = current is null ? Load(hierarchy, now) : null;
                next ??= Issue(hierarchy, now);
                if (current is not null)
                {
                    // Responses in flight may still use it; the few retired ones are disposed with this object.
                    _retired.Add(current);
                }

                _current[hierarchy] = next;
                return next;
            }
            catch (Exception) when (current is not null && now >= current.NotBefore && now < current.NotAfter)
            {
                // Renewal failed (CA key unavailable): the current responder is still valid; keep signing with it.
                return current;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var signer in _current.Values.Concat(_retired))
            {
                signer.Dispose();
            }

            _current.Clear();
            _retired.Clear();
        }
    }

    private bool Due(OcspSigner signer, DateTimeOffset now) => now < signer.NotBefore || now >= signer.NotAfter - _options.ResponderRenewBefore;

    private OcspSigner? Load(Hierarchy hierarchy, DateTimeOffset now)
    {
        if (_directory is null)
        {
            return null;
        }

        var (certificatePath, keyPath) = Paths(hierarchy);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }

        var certificate = X509CertificateLoader.LoadCertificate(File.ReadAllBytes(certificatePath));
        var key = RSA.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
            var signer = new OcspSigner(hierarchy, certificate, key);
            if (Due(signer, now) || !IssuedBy(certificate, _issuers[hierarchy])
                || !certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                signer.Dispose();
                return null;
            }

            return signer;
        }
        catch (CryptographicException)
        {
            certificate.Dispose();
            key.Dispose();
            return null;
        }
    }

    private static bool IssuedBy(X509Certificate2 certificate, RevocationIssuer issuer)
    {
        using var caKey = issuer.Certificate.GetRSAPublicKey();
        return caKey is not null && certificate.IssuerName.RawData.AsSpan().SequenceEqual(issuer.Name)
            && VerifySignature(certificate.RawData, caKey);
    }

    private static bool VerifySignature(byte[] certificateDer, RSA caKey)
    {
        var reader = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence();
        var tbs = reader.ReadEncodedValue();
        reader.ReadSequence();
        var signature = reader.ReadBitString(out _);
        return caKey.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private OcspSigner Issue(Hierarchy hierarchy, DateTimeOffset now)
    {
        var issuer = _issuers[hierarchy];
        var key = RSA.Create(2048);
        try
        {
            var name = new X500DistinguishedNameBuilder();
            name.AddCountryOrRegion("JP");
            name.AddOrganizationName("JPKI Sandbox");
            name.AddCommonName($"MobileJpki OCSP Responder ({hierarchy.WireName()})");
            var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(OcspSigningOid)], false));
            request.CertificateExtensions.Add(new X509Extension(OcspNoCheckOid, [0x05, 0x00], false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuer.KeyIdentifier));

            // A little backdating absorbs relying parties' clock skew; never beyond the CA's own validity.
            var caNotBefore = new DateTimeOffset(issuer.Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
            var caNotAfter = new DateTimeOffset(issuer.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var notBefore = Der.ToSeconds(now - TimeSpan.FromHours(1));
            notBefore = notBefore < caNotBefore ? caNotBefore : notBefore;
            var notAfter = Der.ToSeconds(now + _options.ResponderValidity);
            notAfter = notAfter > caNotAfter ? caNotAfter : notAfter;

            var serial = new byte[16];
            RandomNumberGenerator.Fill(serial);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
            var generator = X509SignatureGenerator.CreateForRSA(issuer.Key, RSASignaturePadding.Pkcs1);
            var certificate = request.Create(issuer.Certificate.SubjectName, generator, notBefore, notAfter, serial);
            Save(hierarchy, certificate.RawData, key);
            Issued++;
            return new OcspSigner(hierarchy, certificate, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private void Save(Hierarchy hierarchy, byte[] certificateDer, RSA key)
    {
        if (_directory is null)
        {
            return;
        }

        PrivateFiles.CreateDirectory(_directory);
        var (certificatePath, keyPath) = Paths(hierarchy);

        // Key first, then the certificate that makes it current; each written whole (temp file, rename).
        WriteAtomically(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), secret: true);
        WriteAtomically(certificatePath, certificateDer, secret: false);
    }

    private (string Certificate, string Key) Paths(Hierarchy hierarchy) =>
        (Path.Combine(_directory!, $"{hierarchy.WireName()}-responder.cer"), Path.Combine(_directory!, $"{hierarchy.WireName()}-responder.key"));

    private static void WriteAtomically(string path, byte[] contents, bool secret)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(contents);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
