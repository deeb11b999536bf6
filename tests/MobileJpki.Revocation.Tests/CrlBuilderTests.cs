using System.Diagnostics;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Revocation.Crl;

namespace MobileJpki.Revocation.Tests;

public sealed class CrlBuilderTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 3, 4, 5, TimeSpan.Zero);

    private readonly TestCa _ca = new(Hierarchy.Signing, "CRL test CA", Now);

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void Build_ThreeRevoked_ParsesBackAndVerifiesWithCaKey()
    {
        RevokedEntry[] entries =
        [
            new("3a1b2c3d4e5f60718293a4b5c6d7e8f9", Now.AddDays(-3), "superseded"),
            new("0a1b", Now.AddDays(-2).AddMilliseconds(700), "device-changed"),
            new("7fffffffffffffffffffffffffffffff", Now.AddDays(-1), null),
        ];

        var crl = Parse(CrlBuilder.Build(_ca.Issuer, entries, 42, Now, Now.AddDays(1)));

        Assert.True(crl.SignatureValid);
        Assert.Equal(1, crl.Version);
        Assert.Equal(_ca.Certificate.SubjectName.RawData, crl.Issuer);
        Assert.Equal(Now, crl.ThisUpdate);
        Assert.Equal(Now.AddDays(1), crl.NextUpdate);
        Assert.Equal(42, crl.Number);
        Assert.Equal(_ca.Issuer.KeyIdentifier, crl.AuthorityKeyId);
        Assert.Equal(
            [
                (BigInteger.Parse("03a1b2c3d4e5f60718293a4b5c6d7e8f9", System.Globalization.NumberStyles.HexNumber), Now.AddDays(-3), (int?)4),
                (new BigInteger(0x0a1b), Now.AddDays(-2), 4),
                (BigInteger.Parse("07fffffffffffffffffffffffffffffff", System.Globalization.NumberStyles.HexNumber), Now.AddDays(-1), null),
            ],
            crl.Entries);
    }

    [Fact]
    public void Build_NothingRevoked_NoRevokedCertificatesField()
    {
        var crl = Parse(CrlBuilder.Build(_ca.Issuer, [], 1, Now, Now.AddDays(1)));

        Assert.True(crl.SignatureValid);
        Assert.Empty(crl.Entries);
    }

    [Fact]
    public void Build_CorruptSerial_Throws()
    {
        Assert.Throws<FormatException>(() => CrlBuilder.Build(_ca.Issuer, [new("not-hex", Now, null)], 1, Now, Now.AddDays(1)));
    }

    [Fact]
    public void Build_After2049_GeneralizedTime()
    {
        var later = new DateTimeOffset(2051, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var crl = Parse(CrlBuilder.Build(_ca.Issuer, [new("01", later, null)], 1, later, later.AddDays(1)));

        Assert.Equal(later, crl.ThisUpdate);
        Assert.Equal(later, crl.Entries[0].RevokedAt);
    }

    [Fact]
    public void Build_HundredThousandEntries_OneSignatureAndFast()
    {
        var entries = Enumerable.Range(0, 100_000).Select(i => new RevokedEntry($"{i + 1:x32}", Now, "superseded")).ToArray();

        var watch = Stopwatch.StartNew();
        var der = CrlBuilder.Build(_ca.Issuer, entries, 7, Now, Now.AddDays(1));
        watch.Stop();

        var crl = Parse(der);
        Assert.True(crl.SignatureValid);
        Assert.Equal(100_000, crl.Entries.Count);
        Assert.Equal(1, _ca.Key.Signatures);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{watch.Elapsed}"); // ≈50 ms; the 1,000,000 figure is in docs/benchmarks.md
    }

    [Fact]
    public async Task Publisher_ServesCachedUntilInvalidatedThenRebuildsWithLargerNumber()
    {
        var time = new FakeTimeProvider(Now);
        var reader = new FakeStatusReader();
        reader.AddRevoked(Hierarchy.Signing, new("0101", Now.AddDays(-1), "superseded"));
        var publisher = new CrlPublisher([_ca.Issuer], reader, new FakeCrlNumbers(), time, new RevocationOptions());

        var first = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);
        var again = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);
        reader.AddRevoked(Hierarchy.Signing, new("0202", Now, "device-changed"));
        publisher.Invalidate(Hierarchy.Signing);
        var rebuilt = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);

        Assert.Same(first, again);
        Assert.Single(Parse(first.Der).Entries);
        Assert.Equal(2, Parse(rebuilt.Der).Entries.Count);
        Assert.True(rebuilt.Number > first.Number);
        Assert.Equal(2, _ca.Key.Signatures);
    }

    [Fact]
    public async Task Publisher_OlderThanRefresh_Rebuilt()
    {
        var time = new FakeTimeProvider(Now);
        var publisher = new CrlPublisher([_ca.Issuer], new FakeStatusReader(), new FakeCrlNumbers(), time, new RevocationOptions());
        var first = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(5));
        var second = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);

        Assert.NotSame(first, second);
        Assert.Equal(Now.AddMinutes(5), Parse(second.Der).ThisUpdate);
    }

    [Theory]
    [InlineData(RevocationReasons.Superseded, CrlReason.Superseded)]
    [InlineData(RevocationReasons.DeviceChanged, CrlReason.Superseded)]
    [InlineData(RevocationReasons.Abandoned, CrlReason.Superseded)]
    [InlineData(RevocationReasons.Resumed, CrlReason.Superseded)]
    [InlineData(RevocationReasons.CardRenewed, CrlReason.Superseded)]
    [InlineData(RevocationReasons.Hold, CrlReason.CertificateHold)]
    [InlineData(RevocationReasons.CessationOfOperation, CrlReason.CessationOfOperation)]
    [InlineData(RevocationReasons.AffiliationChanged, CrlReason.AffiliationChanged)]
    [InlineData(RevocationReasons.KeyCompromise, CrlReason.KeyCompromise)]
    [InlineData("something-else", CrlReason.Unspecified)]
    [InlineData(null, CrlReason.Unspecified)]
    public void FromReason_EveryRecordedReason_MapsToItsCrlReason(string? reason, CrlReason expected) =>
        Assert.Equal(expected, CrlReasons.FromReason(reason));

    [Fact]
    public void FromReason_EveryConstantOfRevocationReasons_IsMapped()
    {
        var constants = typeof(RevocationReasons).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToArray();

        Assert.Equal(9, constants.Length);
        Assert.All(constants, c => Assert.NotEqual(CrlReason.Unspecified, CrlReasons.FromReason(c)));
    }

    [Fact]
    public async Task Publisher_Partition_OnlyItsEntriesWithCriticalIdpNamingItsUrl()
    {
        var reader = new FakeStatusReader();
        reader.AddRevoked(Hierarchy.Signing, new("0101", Now.AddDays(-1), RevocationReasons.Hold));
        reader.AddRevoked(Hierarchy.Signing, new("0202", Now.AddDays(-1), RevocationReasons.KeyCompromise));
        reader.Partitions["0101"] = 1;
        reader.Partitions["0202"] = 2;
        var publisher = new CrlPublisher([_ca.Issuer], reader, new FakeCrlNumbers(), new FakeTimeProvider(Now), new RevocationOptions());

        var one = await publisher.GetAsync(Hierarchy.Signing, 1, CancellationToken.None);
        var complete = await publisher.GetAsync(Hierarchy.Signing, CancellationToken.None);

        var parsed = Parse(one.Der);
        Assert.True(parsed.SignatureValid);
        Assert.Equal([(new BigInteger(0x0101), Now.AddDays(-1), (int?)6)], parsed.Entries);
        Assert.Equal(2, Parse(complete.Der).Entries.Count);
        var idp = IssuingDistributionPoint(one.Der);
        Assert.True(idp.Critical);
        Assert.Equal(_ca.Issuer.CrlPartitionUrl(1), idp.Url);
        Assert.True(idp.OnlyUserCerts);
        Assert.Null(IssuingDistributionPoint(complete.Der).Url);
    }

    private static (bool Critical, string? Url, bool OnlyUserCerts) IssuingDistributionPoint(byte[] der)
    {
        var tbs = new AsnReader(der, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        while (!tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
        {
            tbs.ReadEncodedValue();
        }

        var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            if (extension.ReadObjectIdentifier() != CrlBuilder.IssuingDistributionPointOid)
            {
                continue;
            }

            var critical = extension.ReadBoolean();
            var idp = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER).ReadSequence();
            var url = idp.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true))
                .ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6));
            var onlyUser = idp.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 1));
            idp.ThrowIfNotEmpty();
            return (critical, url, onlyUser);
        }

        return (false, null, false);
    }

    private sealed record ParsedCrl(
        int Version,
        byte[] Issuer,
        DateTimeOffset ThisUpdate,
        DateTimeOffset NextUpdate,
        List<(BigInteger Serial, DateTimeOffset RevokedAt, int? Reason)> Entries,
        long Number,
        byte[] AuthorityKeyId,
        bool SignatureValid);

    /// <summary>RFC 5280 §5.1 read with AsnReader alone (no X509 types), signature checked with the CA's public key.</summary>
    private ParsedCrl Parse(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var list = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var tbsDer = list.ReadEncodedValue();
        var algorithm = list.ReadSequence();
        Assert.Equal("1.2.840.113549.1.1.11", algorithm.ReadObjectIdentifier());
        var signature = list.ReadBitString(out _);
        list.ThrowIfNotEmpty();

        var tbs = new AsnReader(tbsDer, AsnEncodingRules.DER).ReadSequence();
        var version = (int)tbs.ReadInteger();
        Assert.Equal("1.2.840.113549.1.1.11", tbs.ReadSequence().ReadObjectIdentifier());
        var issuer = tbs.ReadEncodedValue().ToArray();
        var thisUpdate = ReadTime(tbs);
        var nextUpdate = ReadTime(tbs);
        var entries = new List<(BigInteger, DateTimeOffset, int?)>();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var revoked = tbs.ReadSequence();
            while (revoked.HasData)
            {
                var entry = revoked.ReadSequence();
                var serial = entry.ReadInteger();
                var at = ReadTime(entry);
                int? reason = null;
                if (entry.HasData)
                {
                    var extension = entry.ReadSequence().ReadSequence();
                    Assert.Equal("2.5.29.21", extension.ReadObjectIdentifier());
                    reason = OcspMessages.Enumerated(new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER));
                }

                entries.Add((serial, at, reason));
            }
        }

        long number = -1;
        byte[] keyId = [];
        var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                extension.ReadBoolean();
            }

            var value = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER);
            if (oid == "2.5.29.20")
            {
                number = (long)value.ReadInteger();
            }
            else if (oid == "2.5.29.35")
            {
                keyId = value.ReadSequence().ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
            }
        }

        tbs.ThrowIfNotEmpty();
        var valid = _ca.PublicKey.VerifyData(tbsDer.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new ParsedCrl(version, issuer, thisUpdate, nextUpdate, entries, number, keyId, valid);
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
