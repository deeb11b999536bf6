using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>A linted, not yet signed certificate: the output of <see cref="CertificateIssuer.Prepare"/>.</summary>
/// <remarks>
/// Only the issuer can create one, so whatever <see cref="CertificateIssuer.Sign"/> signs has passed the linter.
/// The issuer hands over arrays nobody else holds; arrays are copied on the way out, so a caller cannot alter the
/// bytes between lint and signature.
/// </remarks>
public sealed class PreparedCertificate
{
    /// <summary>The size of a real RSA-2048 signature, so the lint copy has the final certificate's shape.</summary>
    private const int PlaceholderSignatureLength = 256;

    private readonly byte[] _serial;
    private readonly byte[] _tbs;

    /// <param name="serial">Owned from now on: the caller must not keep or change it.</param>
    /// <param name="tbsCertificate">Owned from now on: the caller must not keep or change it.</param>
    internal PreparedCertificate(
        CaHierarchy issuer,
        CertificateKind kind,
        byte[] serial,
        byte[] tbsCertificate,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        Issuer = issuer;
        Kind = kind;
        _serial = serial;
        _tbs = tbsCertificate;
        SerialHex = SerialNumbers.ToHex(serial);
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    public CertificateKind Kind { get; }

    public Hierarchy Hierarchy => Kind.HierarchyOf();

    public byte[] Serial => (byte[])_serial.Clone();

    /// <summary>The serial as lowercase hex, the form used in storage and URLs.</summary>
    public string SerialHex { get; }

    /// <summary>DER TBSCertificate exactly as it will be signed.</summary>
    public byte[] TbsCertificate => (byte[])_tbs.Clone();

    /// <summary>The linted TBS as a certificate with a zero placeholder signature (worth storing before signing, as Boulder does).</summary>
    /// <remarks>Built on each call; the linter checked the TBS itself, which this wraps unchanged.</remarks>
    public byte[] LintCertificate => X509Encoding.AssembleCertificate(_tbs, new byte[PlaceholderSignatureLength]);

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>The CRL partition its CRL distribution point names (CertificateEntity.CrlShard); null: the complete CRL.</summary>
    public int? CrlPartition { get; internal init; }

    internal CaHierarchy Issuer { get; }

    internal ReadOnlySpan<byte> TbsSpan => _tbs;
}
