using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>Validity of issued certificates.</summary>
public sealed partial class CertificateIssuerTests
{
    private static DateTimeOffset NotAfter(X509Certificate2 cert) => new(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    private static DateTimeOffset NotBefore(X509Certificate2 cert) => new(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    [Fact]
    public void Issue_CardKind_RunsFromIssueTimeToTheFifthBirthday()
    {
        var prepared = _pki.Issuer.Prepare(PkiTestContext.RequestFor(CertificateKind.CardSigning));
        using var cert = X509CertificateLoader.LoadCertificate(_pki.Issuer.Sign(prepared));

        // 1990-06-15 birth, issued 2025-04-01: birthdays 2025..2029, the 5th is 2029-06-15.
        var expectedNotBefore = new DateTimeOffset(2025, 4, 1, 10, 0, 0, TimeSpan.FromHours(9));
        Assert.Equal(expectedNotBefore, NotBefore(cert));
        Assert.Equal(new DateTimeOffset(2029, 6, 15, 23, 59, 59, TimeSpan.FromHours(9)), NotAfter(cert));
        Assert.Equal(expectedNotBefore, prepared.NotBefore);
        Assert.Equal(NotAfter(cert), prepared.NotAfter);
    }

    [Fact]
    public void Issue_OnTheBirthdayItself_CountsFromNextYear()
    {
        var person = PkiTestContext.Yamada with { BirthDate = new DateOnly(1990, 4, 1) };

        using var cert = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.CardSigning, person: person));

        Assert.Equal(new DateTimeOffset(2030, 4, 1, 23, 59, 59, TimeSpan.FromHours(9)), NotAfter(cert));
    }

    [Fact]
    public void Issue_PhoneKind_EndsWithTheCardCertificate()
    {
        using var card = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.CardAuth));
        _pki.FakeTime.Advance(TimeSpan.FromDays(400));

        using var phone = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.PhoneAuth, cap: NotAfter(card)));

        // Issued 400 days later, the birthday rule alone would run a year past the card.
        Assert.Equal(new DateTimeOffset(2030, 6, 15, 23, 59, 59, TimeSpan.FromHours(9)), Validity.CardNotAfter(PkiTestContext.Yamada.BirthDate, _pki.Time.GetUtcNow()));
        Assert.Equal(NotAfter(card), NotAfter(phone));
    }

    [Fact]
    public void Issue_PhoneKind_WithALaterCap_KeepsTheBirthdayRule()
    {
        var cap = new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

        using var phone = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.PhoneSigning, cap: cap));

        Assert.Equal(new DateTimeOffset(2029, 6, 15, 23, 59, 59, TimeSpan.FromHours(9)), NotAfter(phone));
    }

    [Fact]
    public void Issue_CapWithFractionalSeconds_NeverExceedsTheCap()
    {
        var cap = new DateTimeOffset(2027, 3, 3, 3, 3, 3, TimeSpan.Zero).AddMilliseconds(999);

        using var phone = _pki.Issue(PkiTestContext.RequestFor(CertificateKind.PhoneAuth, cap: cap));

        Assert.Equal(new DateTimeOffset(2027, 3, 3, 3, 3, 3, TimeSpan.Zero), NotAfter(phone));
    }
}
