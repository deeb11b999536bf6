using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki.Tests;

public sealed class Basic4InfoCodecTests
{
    [Fact]
    public void ToSubjectAltName_EncodesEachFactAsOtherNameWithExplicitUtf8String()
    {
        var extension = Basic4InfoCodec.ToSubjectAltName(PkiTestContext.Yamada);

        Assert.Equal("2.5.29.17", extension.Oid!.Value);
        Assert.False(extension.Critical);
        var facts = ReadOtherNames(extension.RawData);
        Assert.Equal(
            [
                (Oids.Basic4Name, "山田 太郎"),
                (Oids.Basic4NameAlt, "YAMADA TARO"),
                (Oids.Basic4Gender, "1"),
                (Oids.Basic4BirthDate, "19900615"),
                (Oids.Basic4Address, "東京都千代田区千代田1番1号"),
                (Oids.Basic4AddressAlt, "1-1 Chiyoda, Chiyoda-ku, Tokyo"),
            ],
            facts);
    }

    [Theory]
    [InlineData(Gender.Male, "1")]
    [InlineData(Gender.Female, "2")]
    [InlineData(Gender.Other, "3")]
    public void ToSubjectAltName_GenderCode(Gender gender, string code)
    {
        var extension = Basic4InfoCodec.ToSubjectAltName(PkiTestContext.Yamada with { Gender = gender });

        Assert.Contains((Oids.Basic4Gender, code), ReadOtherNames(extension.RawData));
    }

    [Fact]
    public void TryReadSubjectAltName_WithoutAlternatives_RoundTrips()
    {
        var person = new Basic4Info("佐藤 一郎", null, Gender.Other, new DateOnly(2000, 2, 29), "大阪府大阪市北区", null);

        Assert.True(Basic4InfoCodec.TryReadSubjectAltName(Basic4InfoCodec.ToSubjectAltName(person).RawData, out var read));
        Assert.Equal(person, read);
        Assert.Equal(4, ReadOtherNames(Basic4InfoCodec.ToSubjectAltName(person).RawData).Count);
    }

    public static TheoryData<string, Basic4Info> InvalidPeople => new()
    {
        { "empty name", PkiTestContext.Yamada with { Name = "" } },
        { "blank address", PkiTestContext.Yamada with { Address = "   " } },
        { "long name", PkiTestContext.Yamada with { Name = new string('あ', 257) } },
        { "control character", PkiTestContext.Yamada with { Name = "山田\u0007太郎" } },
        { "C1 control in alt", PkiTestContext.Yamada with { AddressAlt = "Tokyo\u0085" } },
        { "lone surrogate", PkiTestContext.Yamada with { NameAlt = "A\uD800B" } },
        { "empty alt name", PkiTestContext.Yamada with { NameAlt = "" } },
        { "undefined gender", PkiTestContext.Yamada with { Gender = (Gender)9 } },
    };

    [Theory]
    [MemberData(nameof(InvalidPeople))]
    public void ToSubjectAltName_InvalidFact_IsRejected(string scenario, Basic4Info person)
    {
        var error = Assert.Throws<MjpkiException>(() => Basic4InfoCodec.ToSubjectAltName(person));

        Assert.True(error.Kind == ErrorKind.BadRequest, scenario);
        Assert.Equal("invalid-basic4", error.Code);
    }

    [Fact]
    public void ToSubjectAltName_256CharactersAndSurrogatePairs_AreAccepted()
    {
        var person = PkiTestContext.Yamada with { Name = new string('あ', 254) + "𠮷" };

        Assert.True(Basic4InfoCodec.TryReadSubjectAltName(Basic4InfoCodec.ToSubjectAltName(person).RawData, out var read));
        Assert.Equal(person, read);
    }

    [Fact]
    public void TryReadSubjectAltName_DuplicateFact_IsRejected()
    {
        var san = WriteOtherNames(
            (Oids.Basic4Name, "A"), (Oids.Basic4Name, "B"), (Oids.Basic4Gender, "1"), (Oids.Basic4BirthDate, "19900101"), (Oids.Basic4Address, "X"));

        Assert.False(Basic4InfoCodec.TryReadSubjectAltName(san, out var info));
        Assert.Null(info);
    }

    [Theory]
    [InlineData("4", "19900101")]
    [InlineData("01", "19900101")]
    [InlineData("1", "1990-01-01")]
    [InlineData("1", "19900230")]
    public void TryReadSubjectAltName_BadGenderOrDate_IsRejected(string gender, string birth)
    {
        var san = WriteOtherNames((Oids.Basic4Name, "A"), (Oids.Basic4Gender, gender), (Oids.Basic4BirthDate, birth), (Oids.Basic4Address, "X"));

        Assert.False(Basic4InfoCodec.TryReadSubjectAltName(san, out _));
    }

    [Fact]
    public void TryReadSubjectAltName_MissingAddress_IsRejected()
    {
        var san = WriteOtherNames((Oids.Basic4Name, "A"), (Oids.Basic4Gender, "2"), (Oids.Basic4BirthDate, "19900101"));

        Assert.False(Basic4InfoCodec.TryReadSubjectAltName(san, out _));
    }

    [Fact]
    public void TryReadSubjectAltName_IgnoresUnrelatedNames()
    {
        var builder = new SubjectAlternativeNameBuilder();
        builder.AddEmailAddress("someone@example.test");
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(new AsnReader(builder.Build().RawData, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().Span);
            foreach (var element in ElementsOf(Basic4InfoCodec.ToSubjectAltName(PkiTestContext.Yamada).RawData))
            {
                writer.WriteEncodedValue(element);
            }
        }

        Assert.True(Basic4InfoCodec.TryReadSubjectAltName(writer.Encode(), out var read));
        Assert.Equal(PkiTestContext.Yamada, read);
    }

    [Fact]
    public void TryReadSubjectAltName_Garbage_ReturnsFalse()
    {
        Assert.False(Basic4InfoCodec.TryReadSubjectAltName(new byte[] { 0x30, 0x05, 0xA0 }, out _));
        Assert.False(Basic4InfoCodec.TryReadSubjectAltName(ReadOnlyMemory<byte>.Empty, out _));
    }

    [Theory]
    [InlineData(Gender.Male, "male")]
    [InlineData(Gender.Female, "female")]
    [InlineData(Gender.Other, "other")]
    public void Genders_WireNamesRoundTrip(Gender gender, string name)
    {
        Assert.Equal(name, gender.WireName());
        Assert.True(Genders.TryParseWireName(name, out var parsed));
        Assert.Equal(gender, parsed);
        Assert.False(Genders.TryParseWireName(name.ToUpperInvariant(), out _));
    }

    private static List<(string Oid, string Value)> ReadOtherNames(byte[] san)
    {
        var explicit0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        var names = new AsnReader(san, AsnEncodingRules.DER).ReadSequence();
        var result = new List<(string, string)>();
        while (names.HasData)
        {
            var otherName = names.ReadSequence(explicit0);
            var oid = otherName.ReadObjectIdentifier();
            var value = otherName.ReadSequence(explicit0).ReadCharacterString(UniversalTagNumber.UTF8String);
            result.Add((oid, value));
        }

        return result;
    }

    private static List<byte[]> ElementsOf(byte[] san)
    {
        var names = new AsnReader(san, AsnEncodingRules.DER).ReadSequence();
        var result = new List<byte[]>();
        while (names.HasData)
        {
            result.Add(names.ReadEncodedValue().ToArray());
        }

        return result;
    }

    private static byte[] WriteOtherNames(params (string Oid, string Value)[] facts)
    {
        var explicit0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (oid, value) in facts)
            {
                using (writer.PushSequence(explicit0))
                {
                    writer.WriteObjectIdentifier(oid);
                    using (writer.PushSequence(explicit0))
                    {
                        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                    }
                }
            }
        }

        return writer.Encode();
    }
}
