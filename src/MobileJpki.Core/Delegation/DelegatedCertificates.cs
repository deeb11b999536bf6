using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core.Delegation;

/// <summary>A CA that signs delegated certificates: its certificate, its key (only the sign operation is used) and its key identifier.</summary>
public sealed class DelegatedIssuer
{
    public DelegatedIssuer(Hierarchy hierarchy, X509Certificate2 certificate, RSA key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        Hierarchy = hierarchy;
        Certificate = certificate;
        Key = key;
        Name = certificate.SubjectName.RawData.ToArray();
        KeyIdentifier = KeyIdentifierOf(certificate);
    }

    public Hierarchy Hierarchy { get; }

    public X509Certificate2 Certificate { get; }

    public RSA Key { get; }

    /// <summary>The CA's subject name, DER.</summary>
    public byte[] Name { get; }

    /// <summary>What a delegated certificate's authorityKeyIdentifier names.</summary>
    public byte[] KeyIdentifier { get; }

    /// <summary>The certificate's subjectKeyIdentifier, or the SHA-1 of its subjectPublicKey (RFC 5280 §4.2.1.2 method 1).</summary>
    public static byte[] KeyIdentifierOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
#pragma warning disable CA5350 // RFC 5280's key identifier method 1; not used for signing.
        return certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault()?.SubjectKeyIdentifierBytes.ToArray()
            ?? SHA1.HashData(certificate.PublicKey.EncodedKeyValue.RawData);
#pragma warning restore CA5350
    }
}

/// <summary>What kind of delegated certificate a <see cref="DelegatedCertificates{TSigner}"/> issues.</summary>
/// <param name="FileStem">The files are <c>{h}-{FileStem}.cer</c> and <c>{h}-{FileStem}.key</c> in the directory.</param>
/// <param name="CommonName">The subject common name for a hierarchy.</param>
/// <param name="ExtendedKeyUsageOid">The one extended key usage the certificate is good for.</param>
/// <param name="ExtraExtensions">Further extensions (e.g. id-pkix-ocsp-nocheck).</param>
/// <param name="Validity">How long one certificate is valid.</param>
/// <param name="RenewBefore">It is renewed this long before it ends.</param>
public sealed record DelegatedProfile(
    string FileStem,
    Func<Hierarchy, string> CommonName,
    string ExtendedKeyUsageOid,
    IReadOnlyList<X509Extension> ExtraExtensions,
    TimeSpan Validity,
    TimeSpan RenewBefore);

/// <summary>A delegated certificate with its key, as <see cref="DelegatedCertificates{TSigner}"/> hands it out.</summary>
public interface IDelegatedSigner : IDisposable
{
    X509Certificate2 Certificate { get; }

    RSA Key { get; }

    DateTimeOffset NotBefore { get; }

    DateTimeOffset NotAfter { get; }
}

/// <summary>A plain delegated signer: the certificate, its key and sha256WithRSAEncryption signing. Immutable.</summary>
public sealed class DelegatedSigner : IDelegatedSigner
{
    public DelegatedSigner(Hierarchy hierarchy, X509Certificate2 certificate, RSA key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        Hierarchy = hierarchy;
        Certificate = certificate;
        Key = key;
        CertificateDer = certificate.RawData;
        NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
    }

    public Hierarchy Hierarchy { get; }

    public X509Certificate2 Certificate { get; }

    public RSA Key { get; }

    public byte[] CertificateDer { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>sha256WithRSAEncryption, PKCS#1 v1.5.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => Key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>
/// Issues, keeps and renews one delegated certificate per CA (the OCSP responder, the SE management signer): an
/// RSA-2048 software key and a certificate for <see cref="DelegatedProfile.ExtendedKeyUsageOid"/> only, valid
/// <see cref="DelegatedProfile.Validity"/>, renewed <see cref="DelegatedProfile.RenewBefore"/> before it ends or at
/// once when the clock was set before its notBefore. The CA key signs one certificate per renewal, nothing else; it
/// may live in an HSM while the delegated key is a file in the directory (mode 600).
/// </summary>
/// <remarks>
/// When renewal fails (the HSM is gone), the current certificate keeps serving until it expires: whatever it signs
/// carries its own certificate, so what an old and a new one signed verify alike.
/// </remarks>
public sealed class DelegatedCertificates<TSigner> : IDisposable
    where TSigner : class, IDelegatedSigner
{
    private readonly Dictionary<Hierarchy, DelegatedIssuer> _issuers;
    private readonly string? _directory;
    private readonly TimeProvider _time;
    private readonly DelegatedProfile _profile;
    private readonly Func<Hierarchy, X509Certificate2, RSA, TSigner> _create;
    private readonly Lock _gate = new();
    private readonly Dictionary<Hierarchy, TSigner> _current = [];
    private readonly List<TSigner> _retired = [];

    /// <param name="directory">Where the key and certificate files live; null keeps them in memory only (tests).</param>
    /// <param name="create">Wraps a certificate and its key (ownership passes to the signer).</param>
    public DelegatedCertificates(IEnumerable<DelegatedIssuer> issuers, string? directory, TimeProvider time, DelegatedProfile profile, Func<Hierarchy, X509Certificate2, RSA, TSigner> create)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(create);
        if (profile.Validity <= TimeSpan.Zero || profile.RenewBefore <= TimeSpan.Zero || profile.RenewBefore >= profile.Validity)
        {
            throw new ArgumentException("The validity must be positive and RenewBefore in (0, Validity).", nameof(profile));
        }

        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _directory = directory;
        _time = time;
        _profile = profile;
        _create = create;
    }

    /// <summary>Certificates issued by this instance (renewals included).</summary>
    public int Issued { get; private set; }

    /// <summary>The signer to use now; renews it first when due. Throws when none can be had (the CA key is gone and the last one expired).</summary>
    public TSigner For(Hierarchy hierarchy)
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
                    // Work in flight may still use it; the few retired ones are disposed with this object.
                    _retired.Add(current);
                }

                _current[hierarchy] = next;
                return next;
            }
            catch (Exception) when (current is not null && now >= current.NotBefore && now < current.NotAfter)
            {
                // Renewal failed (CA key unavailable): the current certificate is still valid; keep using it.
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

    private bool Due(TSigner signer, DateTimeOffset now) => now < signer.NotBefore || now >= signer.NotAfter - _profile.RenewBefore;

    private TSigner? Load(Hierarchy hierarchy, DateTimeOffset now)
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
            var signer = _create(hierarchy, certificate, key);
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

    private static bool IssuedBy(X509Certificate2 certificate, DelegatedIssuer issuer)
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

    private TSigner Issue(Hierarchy hierarchy, DateTimeOffset now)
    {
        var issuer = _issuers[hierarchy];
        var key = RSA.Create(2048);
        try
        {
            var name = new X500DistinguishedNameBuilder();
            name.AddCountryOrRegion("JP");
            name.AddOrganizationName("JPKI Sandbox");
            name.AddCommonName(_profile.CommonName(hierarchy));
            var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(_profile.ExtendedKeyUsageOid)], false));
            foreach (var extension in _profile.ExtraExtensions)
            {
                request.CertificateExtensions.Add(extension);
            }

            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuer.KeyIdentifier));

            // A little backdating absorbs relying parties' clock skew; never beyond the CA's own validity.
            var caNotBefore = new DateTimeOffset(issuer.Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
            var caNotAfter = new DateTimeOffset(issuer.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var notBefore = ToSeconds(now - TimeSpan.FromHours(1));
            notBefore = notBefore < caNotBefore ? caNotBefore : notBefore;
            var notAfter = ToSeconds(now + _profile.Validity);
            notAfter = notAfter > caNotAfter ? caNotAfter : notAfter;

            var serial = new byte[16];
            RandomNumberGenerator.Fill(serial);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
            var generator = X509SignatureGenerator.CreateForRSA(issuer.Key, RSASignaturePadding.Pkcs1);
            var certificate = request.Create(issuer.Certificate.SubjectName, generator, notBefore, notAfter, serial);
            Save(hierarchy, certificate.RawData, key);
            Issued++;
            return _create(hierarchy, certificate, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static DateTimeOffset ToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

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
        (Path.Combine(_directory!, $"{hierarchy.WireName()}-{_profile.FileStem}.cer"), Path.Combine(_directory!, $"{hierarchy.WireName()}-{_profile.FileStem}.key"));

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
