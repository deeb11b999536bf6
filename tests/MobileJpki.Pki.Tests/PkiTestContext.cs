using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>A throw-away CA in a temporary directory, on a fake clock, whose keys count their signatures.</summary>
internal sealed class PkiTestContext : IDisposable
{
    /// <summary>10:00:00.789 JST on 1 April 2025; the fraction checks that notBefore is truncated.</summary>
    public static readonly DateTimeOffset DefaultNow = new DateTimeOffset(2025, 4, 1, 10, 0, 0, TimeSpan.FromHours(9)).AddMilliseconds(789);

    /// <param name="freshKeys">Generate the root keys; otherwise reuse two keys made once per run (key generation dominates test time).</param>
    public PkiTestContext(TimeProvider? time = null, bool freshKeys = false)
    {
        Directory = Path.Combine(Path.GetTempPath(), "mjpki-pki-tests-" + Guid.NewGuid().ToString("N"));
        Options = new PkiOptions { DataDirectory = Directory, BaseUrl = "http://ca.example.test:5080/" };
        if (!freshKeys)
        {
            var keyDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "keys")).FullName;
            File.WriteAllText(Path.Combine(keyDirectory, "ca-sign.key.pem"), SharedRootKeys.Value.Signing);
            File.WriteAllText(Path.Combine(keyDirectory, "ca-auth.key.pem"), SharedRootKeys.Value.Auth);
        }

        Keys = new CountingKeyProvider(SoftwareKeyProvider.InDataDirectory(Options));
        Time = time ?? new FakeTimeProvider(DefaultNow);
        Ca = CaHierarchy.LoadOrCreate(Options, Keys, Time);
        Issuer = new CertificateIssuer(Ca, Time);
        Keys.ResetCount();
    }

    private static readonly Lazy<(string Signing, string Auth)> SharedRootKeys = new(() =>
    {
        using var signing = RSA.Create(2048);
        using var auth = RSA.Create(2048);
        return (signing.ExportPkcs8PrivateKeyPem(), auth.ExportPkcs8PrivateKeyPem());
    });

    public string Directory { get; }

    public PkiOptions Options { get; }

    public CountingKeyProvider Keys { get; }

    public TimeProvider Time { get; }

    public FakeTimeProvider FakeTime => (FakeTimeProvider)Time;

    public CaHierarchy Ca { get; }

    public CertificateIssuer Issuer { get; }

    public static Basic4Info Yamada { get; } = new(
        "山田 太郎",
        "YAMADA TARO",
        Gender.Male,
        new DateOnly(1990, 6, 15),
        "東京都千代田区千代田1番1号",
        "1-1 Chiyoda, Chiyoda-ku, Tokyo");

    /// <summary>One subject key for the whole run: key generation is slow and the key's identity does not matter here.</summary>
    public static byte[] SubjectKey { get; } = NewRsaSpki(2048);

    public static byte[] NewRsaSpki(int bits)
    {
        using var rsa = RSA.Create(bits);
        return rsa.ExportSubjectPublicKeyInfo();
    }

    public static IssueRequest RequestFor(CertificateKind kind, DateTimeOffset? cap = null, Basic4Info? person = null)
    {
        var signing = kind.HierarchyOf() == Hierarchy.Signing;
        var who = person ?? Yamada;
        return new IssueRequest(
            kind,
            SubjectKey,
            signing ? who : null,
            who.BirthDate,
            kind.IsPhone() ? cap ?? new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.Zero) : cap);
    }

    public X509Certificate2 Issue(IssueRequest request) => X509CertificateLoader.LoadCertificate(Issuer.Issue(request));

    public void Dispose()
    {
        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; failing the test over it would hide the real result.
        }
    }
}

/// <summary>Wraps a key provider so tests can assert how many CA signatures were made.</summary>
internal sealed class CountingKeyProvider(IKeyProvider inner) : IKeyProvider
{
    private int _signatures;

    public int Signatures => Volatile.Read(ref _signatures);

    public void ResetCount() => Volatile.Write(ref _signatures, 0);

    public RSA CreateKey(string keyUri) => new CountingRsa(inner.CreateKey(keyUri), this);

    public RSA? TryGetKey(string keyUri) => inner.TryGetKey(keyUri) is { } key ? new CountingRsa(key, this) : null;

    private sealed class CountingRsa : RSA
    {
        private readonly RSA _inner;
        private readonly CountingKeyProvider _owner;

        public CountingRsa(RSA inner, CountingKeyProvider owner)
        {
            _inner = inner;
            _owner = owner;
            KeySizeValue = inner.KeySize;
            LegalKeySizesValue = inner.LegalKeySizes;
        }

        public override RSAParameters ExportParameters(bool includePrivateParameters) => _inner.ExportParameters(includePrivateParameters);

        public override void ImportParameters(RSAParameters parameters) => _inner.ImportParameters(parameters);

        public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
        {
            Interlocked.Increment(ref _owner._signatures);
            return _inner.SignHash(hash, hashAlgorithm, padding);
        }

        public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
            _inner.VerifyHash(hash, signature, hashAlgorithm, padding);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>Reads certificates with our own ASN.1 code, so assertions do not trust the code under test.</summary>
internal static class Der
{
    public static (byte[] Tbs, byte[] Algorithm, byte[] Signature) SplitCertificate(byte[] certificate)
    {
        var reader = new AsnReader(certificate, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        var tbs = sequence.ReadEncodedValue().ToArray();
        var algorithm = sequence.ReadEncodedValue().ToArray();
        var signature = sequence.ReadBitString(out _);
        return (tbs, algorithm, signature);
    }

    public static List<string> Policies(X509Certificate2 certificate)
    {
        var reader = new AsnReader(certificate.Extensions["2.5.29.32"]!.RawData, AsnEncodingRules.DER).ReadSequence();
        var result = new List<string>();
        while (reader.HasData)
        {
            result.Add(reader.ReadSequence().ReadObjectIdentifier());
        }

        return result;
    }

    public static List<string> CrlUrls(X509Certificate2 certificate)
    {
        var context0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        var points = new AsnReader(certificate.Extensions["2.5.29.31"]!.RawData, AsnEncodingRules.DER).ReadSequence();
        var result = new List<string>();
        while (points.HasData)
        {
            var names = points.ReadSequence().ReadSequence(context0).ReadSequence(context0);
            while (names.HasData)
            {
                result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
            }
        }

        return result;
    }

    /// <summary>An RSA SubjectPublicKeyInfo with an arbitrary exponent (.NET will not generate such keys).</summary>
    public static byte[] RsaSpkiWithExponent(byte[] spki, int exponent)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        var parameters = rsa.ExportParameters(false);
        var key = new AsnWriter(AsnEncodingRules.DER);
        using (key.PushSequence())
        {
            key.WriteIntegerUnsigned(parameters.Modulus);
            key.WriteInteger(exponent);
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                writer.WriteNull();
            }

            writer.WriteBitString(key.Encode());
        }

        return writer.Encode();
    }
}
