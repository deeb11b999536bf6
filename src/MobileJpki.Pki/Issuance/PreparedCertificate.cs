using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>A linted, not yet signed certificate: the output of <see cref="CertificateIssuer.Prepare"/>.</summary>
/// <remarks>
/// Only the issuer can create one, so whatever <see cref="CertificateIssuer.Sign"/> signs has passed the linter.
/// Arrays are copied in and out for the same reason: a caller cannot alter the bytes between lint and signature.
/// </remarks>
public sealed class PreparedCertificate
{
    private readonly byte[] _serial;
    private readonly byte[] _tbs;
    private readonly byte[] _lintCertificate;

    internal PreparedCertificate(
        CaHierarchy issuer,
        CertificateKind kind,
        byte[] serial,
        byte[] tbsCertificate,
        byte[] lintCertificate,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        Issuer = issuer;
        Kind = kind;
        _serial = (byte[])serial.Clone();
        _tbs = (byte[])tbsCertificate.Clone();
        _lintCertificate = (byte[])lintCertificate.Clone();
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

    /// <summary>The linted copy: the same TBS with a placeholder signature (worth storing before signing, as Boulder does).</summary>
    public byte[] LintCertificate => (byte[])_lintCertificate.Clone();

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    internal CaHierarchy Issuer { get; }

    internal ReadOnlySpan<byte> TbsSpan => _tbs;
}
