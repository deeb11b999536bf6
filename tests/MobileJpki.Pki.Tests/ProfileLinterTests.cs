using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

/// <summary>The linter reads the TBS bytes itself: each tampered field of an otherwise valid TBS must be named.</summary>
public sealed class ProfileLinterTests : IDisposable
{
    private const int Serial = 1;
    private const int Issuer = 3;
    private const int Validity = 4;
    private const int Subject = 5;

    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);

    private readonly PkiTestContext _pki = new();

    public void Dispose() => _pki.Dispose();

    public static TheoryData<string, string> Tamperings => new()
    {
        { "version-1", "version" },
        { "serial", "serial-number" },
        { "issuer", "issuer" },
        { "subject-personal-data", "subject" },
        { "not-after-one-second-early", "validity-not-after" },
        { "not-after-generalized-time", "validity-encoding" },
        { "key-usage-not-critical", "key-usage" },
        { "basic-constraints-ca", "basic-constraints" },
        { "extra-extension", "unknown-extension" },
        { "duplicate-extension", "duplicate-extension" },
        { "explicit-critical-false", "extension-encoding" },
        { "missing-ski", "subject-key-identifier" },
        { "aki-other-root", "authority-key-identifier" },
        { "aia-other-url", "authority-information-access" },
        { "san-other-person", "subject-alt-name" },
        { "trailing-data", "structure" },
    };

    [Fact]
    public void Check_PreparedTbs_Passes()
    {
        var (request, prepared) = Prepare();

        Lint(prepared.TbsCertificate, request, prepared);
    }

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Check_TamperedTbs_NamesTheRule(string tampering, string rule)
    {
        var (request, prepared) = Prepare();
        var tbs = Tamper(tampering, prepared.TbsCertificate);

        var error = Assert.Throws<MjpkiException>(() => Lint(tbs, request, prepared));

        Assert.Equal("profile-violation", error.Code);
        Assert.Contains(rule + ":", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("山田", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LintCertificate_IsTheTbsWithAZeroSignature()
    {
        var (_, prepared) = Prepare();

        var (tbs, algorithm, signature) = Der.SplitCertificate(prepared.LintCertificate);

        Assert.Equal(prepared.TbsCertificate, tbs);
        Assert.Equal(Convert.FromHexString("300D06092A864886F70D01010B0500"), algorithm);
        Assert.Equal(new byte[256], signature);
    }

    [Theory]
    [InlineData(CertificateKind.CardSigning)]
    [InlineData(CertificateKind.PhoneAuth)]
    public void Issue_Subject_IsEncodedAsX500DistinguishedNameBuilderDoes(CertificateKind kind)
    {
        using var cert = _pki.Issue(PkiTestContext.RequestFor(kind));
        var handle = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

        var builder = new X500DistinguishedNameBuilder();
        builder.AddCountryOrRegion("JP");
        builder.AddOrganizationName("JPKI Sandbox");
        builder.AddOrganizationalUnitName(CertificateProfiles.For(kind).OrganizationalUnit);
        builder.AddCommonName(handle);

        Assert.Equal(builder.Build().RawData, cert.SubjectName.RawData);
    }

    [Fact]
    public void Issue_NotAfterFrom2050_IsGeneralizedTime()
    {
        // Issued in 2046 by a root made then: birthdays 2046..2050, so notAfter is in 2050.
        using var pki = new PkiTestContext(new FakeTimeProvider(new DateTimeOffset(2046, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var der = pki.Issuer.Issue(PkiTestContext.RequestFor(CertificateKind.CardSigning));

        var validity = Fields(Der.SplitCertificate(der).Tbs)[Validity];
        var times = new AsnReader(validity, AsnEncodingRules.DER).ReadSequence();
        Assert.Equal(Asn1Tag.UtcTime, times.PeekTag());
        Assert.Equal(new DateTimeOffset(2046, 1, 1, 0, 0, 0, TimeSpan.Zero), times.ReadUtcTime());
        Assert.Equal(new Asn1Tag(UniversalTagNumber.GeneralizedTime), times.PeekTag());
        Assert.Equal(new DateTimeOffset(2050, 6, 15, 23, 59, 59, TimeSpan.FromHours(9)), times.ReadGeneralizedTime());

        using var cert = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal(new DateTimeOffset(2050, 6, 15, 14, 59, 59, TimeSpan.Zero), new DateTimeOffset(cert.NotAfter.ToUniversalTime()));
    }

    private (IssueRequest Request, PreparedCertificate Prepared) Prepare()
    {
        var request = PkiTestContext.RequestFor(CertificateKind.PhoneSigning);
        return (request, _pki.Issuer.Prepare(request));
    }

    private void Lint(byte[] tbs, IssueRequest request, PreparedCertificate prepared) =>
        ProfileLinter.Check(tbs, CertificateProfiles.For(request.Kind), request, _pki.Ca, prepared.Serial, prepared.NotBefore);

    private byte[] Tamper(string tampering, byte[] tbs)
    {
        var otherRoot = _pki.Ca.CertificateFor(Hierarchy.Auth);
        switch (tampering)
        {
            case "version-1":
                return WithField(tbs, 0, Explicit0(w => w.WriteInteger(0)));
            case "serial":
                {
                    byte[] serial = [0x01, .. new byte[15]];
                    return WithField(tbs, Serial, Encode(w => w.WriteInteger(serial)));
                }

            case "issuer":
                return WithField(tbs, Issuer, otherRoot.SubjectName.RawData);
            case "subject-personal-data":
                {
                    var builder = new X500DistinguishedNameBuilder();
                    builder.AddCountryOrRegion("JP");
                    builder.AddOrganizationName("JPKI Sandbox");
                    builder.AddOrganizationalUnitName("Phone Signing");
                    builder.AddCommonName(PkiTestContext.Yamada.Name);
                    return WithField(tbs, Subject, builder.Build().RawData);
                }

            case "not-after-one-second-early":
            case "not-after-generalized-time":
                {
                    var times = new AsnReader(Fields(tbs)[Validity], AsnEncodingRules.DER).ReadSequence();
                    var notBefore = times.ReadUtcTime();
                    var notAfter = times.ReadUtcTime();
                    return WithField(tbs, Validity, Encode(w =>
                    {
                        using (w.PushSequence())
                        {
                            w.WriteUtcTime(notBefore);
                            if (tampering == "not-after-generalized-time")
                            {
                                w.WriteGeneralizedTime(notAfter, omitFractionalSeconds: true);
                            }
                            else
                            {
                                w.WriteUtcTime(notAfter.AddSeconds(-1));
                            }
                        }
                    }));
                }

            case "key-usage-not-critical":
                return WithExtensions(tbs, list => Replace(list, "2.5.29.15", e => e with { Critical = false }));
            case "basic-constraints-ca":
                return WithExtensions(tbs, list => Replace(list, "2.5.29.19", e => e with { Value = new X509BasicConstraintsExtension(true, false, 0, true).RawData }));
            case "extra-extension":
                return WithExtensions(tbs, list => list.Add(new("1.2.3.4", false, [0x05, 0x00])));
            case "duplicate-extension":
                return WithExtensions(tbs, list => list.Add(list.Single(e => e.Oid == "2.5.29.14")));
            case "explicit-critical-false":
                return WithExtensions(tbs, list => Replace(list, "2.5.29.32", e => e with { ExplicitFalse = true }));
            case "missing-ski":
                return WithExtensions(tbs, list => list.RemoveAll(e => e.Oid == "2.5.29.14"));
            case "aki-other-root":
                {
                    var otherKeyId = otherRoot.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
                    var aki = X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(otherKeyId);
                    return WithExtensions(tbs, list => Replace(list, "2.5.29.35", e => e with { Value = aki.RawData }));
                }

            case "aia-other-url":
                {
                    var aia = new X509AuthorityInformationAccessExtension(["http://evil.example/ocsp"], [_pki.Ca.CaIssuersUrl(Hierarchy.Signing)]);
                    return WithExtensions(tbs, list => Replace(list, "1.3.6.1.5.5.7.1.1", e => e with { Value = aia.RawData }));
                }

            case "san-other-person":
                {
                    var san = Basic4InfoCodec.ToSubjectAltName(PkiTestContext.Yamada with { Address = "大阪府大阪市北区1番1号" });
                    return WithExtensions(tbs, list => Replace(list, "2.5.29.17", e => e with { Value = san.RawData }));
                }

            case "trailing-data":
                return [.. tbs, 0x05, 0x00];
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering));
        }
    }

    private static List<byte[]> Fields(byte[] tbs)
    {
        var sequence = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        var fields = new List<byte[]>();
        while (sequence.HasData)
        {
            fields.Add(sequence.ReadEncodedValue().ToArray());
        }

        return fields;
    }

    private static byte[] WithField(byte[] tbs, int index, byte[] value)
    {
        var fields = Fields(tbs);
        fields[index] = value;
        return Encode(w =>
        {
            using (w.PushSequence())
            {
                fields.ForEach(f => w.WriteEncodedValue(f));
            }
        });
    }

    private static byte[] WithExtensions(byte[] tbs, Action<List<Extension>> edit)
    {
        var fields = Fields(tbs);
        var sequence = new AsnReader(fields[^1], AsnEncodingRules.DER).ReadSequence(ExtensionsTag).ReadSequence();
        var extensions = new List<Extension>();
        while (sequence.HasData)
        {
            var extension = sequence.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            var critical = extension.PeekTag() == Asn1Tag.Boolean && extension.ReadBoolean();
            extensions.Add(new(oid, critical, extension.ReadOctetString()));
        }

        edit(extensions);
        return WithField(tbs, fields.Count - 1, Encode(w =>
        {
            using (w.PushSequence(ExtensionsTag))
            using (w.PushSequence())
            {
                foreach (var extension in extensions)
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(extension.Oid);
                        if (extension.Critical || extension.ExplicitFalse)
                        {
                            w.WriteBoolean(extension.Critical);
                        }

                        w.WriteOctetString(extension.Value);
                    }
                }
            }
        }));
    }

    private static void Replace(List<Extension> extensions, string oid, Func<Extension, Extension> change)
    {
        var index = extensions.FindIndex(e => e.Oid == oid);
        extensions[index] = change(extensions[index]);
    }

    private static byte[] Explicit0(Action<AsnWriter> write) => Encode(w =>
    {
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            write(w);
        }
    });

    private static byte[] Encode(Action<AsnWriter> write)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        write(writer);
        return writer.Encode();
    }

    private sealed record Extension(string Oid, bool Critical, byte[] Value, bool ExplicitFalse = false);
}
