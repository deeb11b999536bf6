using System.Security.Cryptography;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>Requests that must not produce a certificate, and proof that nothing was signed for them.</summary>
public sealed partial class CertificateIssuerTests
{
    private static readonly byte[] Rsa1024 = PkiTestContext.NewRsaSpki(1024);
    private static readonly byte[] EcP256 = NewEcSpki();

    public static TheoryData<string, IssueRequest, string> BadRequests => new()
    {
        { "1024-bit key", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { SubjectPublicKeyInfo = Rsa1024 }, "invalid-public-key" },
        { "EC key", PkiTestContext.RequestFor(CertificateKind.PhoneAuth) with { SubjectPublicKeyInfo = EcP256 }, "invalid-public-key" },
        { "exponent 3", PkiTestContext.RequestFor(CertificateKind.CardSigning) with { SubjectPublicKeyInfo = Der.RsaSpkiWithExponent(PkiTestContext.SubjectKey, 3) }, "invalid-public-key" },
        { "garbage key", PkiTestContext.RequestFor(CertificateKind.CardSigning) with { SubjectPublicKeyInfo = [0x30, 0x03, 0x02, 0x01] }, "invalid-public-key" },
        { "signing without person", PkiTestContext.RequestFor(CertificateKind.CardSigning) with { Person = null }, "person-required" },
        { "auth with person", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { Person = PkiTestContext.Yamada }, "person-forbidden" },
        { "phone without cap", PkiTestContext.RequestFor(CertificateKind.PhoneSigning) with { NotAfterCap = null }, "not-after-cap-required" },
        { "expired card", PkiTestContext.RequestFor(CertificateKind.PhoneAuth, cap: new DateTimeOffset(2025, 3, 31, 0, 0, 0, TimeSpan.Zero)), "not-after-cap-passed" },
        { "birth date mismatch", PkiTestContext.RequestFor(CertificateKind.CardSigning) with { BirthDate = new DateOnly(1991, 1, 1) }, "birth-date-mismatch" },
        { "future birth date", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { BirthDate = new DateOnly(2030, 1, 1) }, "invalid-birth-date" },
        { "control character", PkiTestContext.RequestFor(CertificateKind.CardSigning, person: PkiTestContext.Yamada with { Address = "東京都\n千代田区" }), "invalid-basic4" },
        { "unknown kind", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { Kind = (CertificateKind)99 }, "invalid-kind" },
    };

    /// <summary>Cases the request check would stop; with it off, the linter alone must name the broken rule.</summary>
    public static TheoryData<string, IssueRequest, string> LintViolations => new()
    {
        { "1024-bit key", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { SubjectPublicKeyInfo = Rsa1024 }, "public-key" },
        { "EC key", PkiTestContext.RequestFor(CertificateKind.PhoneAuth) with { SubjectPublicKeyInfo = EcP256 }, "public-key" },
        { "signing without person", PkiTestContext.RequestFor(CertificateKind.PhoneSigning) with { Person = null }, "subject-alt-name" },
        { "auth with person", PkiTestContext.RequestFor(CertificateKind.CardAuth) with { Person = PkiTestContext.Yamada }, "subject-alt-name" },
        { "phone without cap", PkiTestContext.RequestFor(CertificateKind.PhoneAuth) with { NotAfterCap = null }, "validity-cap" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Prepare_BadRequest_IsRejectedAndNothingIsSigned(string scenario, IssueRequest request, string code)
    {
        var error = Assert.Throws<MjpkiException>(() => _pki.Issuer.Issue(request));

        Assert.True(error.Kind == ErrorKind.BadRequest, scenario);
        Assert.Equal(code, error.Code);
        Assert.Equal(0, _pki.Keys.Signatures);
    }

    [Theory]
    [MemberData(nameof(LintViolations))]
    public void Prepare_WithoutRequestChecks_LinterRejectsAndNothingIsSigned(string scenario, IssueRequest request, string rule)
    {
        var error = Assert.Throws<MjpkiException>(() => _pki.Issuer.Prepare(request, validateRequest: false));

        Assert.True(error.Kind == ErrorKind.Internal, scenario);
        Assert.Equal("profile-violation", error.Code);
        Assert.Contains(rule + ":", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("山田", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _pki.Keys.Signatures);
    }

    [Fact]
    public void Prepare_ValidRequest_SpendsNoCaSignature_AndSignSpendsExactlyOne()
    {
        var prepared = _pki.Issuer.Prepare(PkiTestContext.RequestFor(CertificateKind.CardSigning));
        Assert.Equal(0, _pki.Keys.Signatures);

        _pki.Issuer.Sign(prepared);
        Assert.Equal(1, _pki.Keys.Signatures);
    }

    [Fact]
    public void Prepare_CallerMutatesExposedTbs_SignedBytesAreUnchanged()
    {
        var prepared = _pki.Issuer.Prepare(PkiTestContext.RequestFor(CertificateKind.CardAuth));
        var original = prepared.TbsCertificate;

        prepared.TbsCertificate[^1] ^= 0xFF;
        prepared.Serial[0] = 0xFF;

        Assert.Equal(original, Der.SplitCertificate(_pki.Issuer.Sign(prepared)).Tbs);
    }

    [Fact]
    public void Sign_PreparedByAnotherCa_IsRejected()
    {
        using var other = new PkiTestContext();
        var prepared = other.Issuer.Prepare(PkiTestContext.RequestFor(CertificateKind.CardAuth));

        var error = Assert.Throws<MjpkiException>(() => _pki.Issuer.Sign(prepared));

        Assert.Equal("foreign-prepared-certificate", error.Code);
        Assert.Equal(0, _pki.Keys.Signatures);
    }

    private static byte[] NewEcSpki()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ec.ExportSubjectPublicKeyInfo();
    }
}
