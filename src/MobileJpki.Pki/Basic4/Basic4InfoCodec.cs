using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Encodes and decodes 基本4情報 as subjectAltName otherNames, the way JPKI signing certificates carry them.</summary>
/// <remarks>
/// Each fact is an otherName whose type-id is one of <c>Oids.Basic4*</c> and whose value is
/// <c>[0] EXPLICIT UTF8String</c>; gender is "1"/"2"/"3" and the birth date "YYYYMMDD".
/// </remarks>
public static class Basic4InfoCodec
{
    public const string SubjectAltNameOid = "2.5.29.17";

    private const string BirthDateFormat = "yyyyMMdd";

    private static readonly Asn1Tag OtherNameTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExplicitValueTag = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>Builds the (non-critical, JPKI style) subjectAltName extension; throws on invalid facts.</summary>
    public static X509Extension ToSubjectAltName(Basic4Info info)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.Validate();

        var writer = new AsnWriter(AsnEncodingRules.DER);
        WriteGeneralNames(writer, info);
        return new X509Extension(SubjectAltNameOid, writer.Encode(), critical: false);
    }

    /// <summary>Reads 基本4情報 from a certificate; false when absent, incomplete, duplicated or malformed.</summary>
    public static bool TryRead(X509Certificate2 cert, out Basic4Info? info)
    {
        ArgumentNullException.ThrowIfNull(cert);
        info = null;
        var san = cert.Extensions[SubjectAltNameOid];
        return san is not null && TryReadSubjectAltName(san.RawData, out info);
    }

    /// <summary>Reads 基本4情報 from the DER value of a subjectAltName extension.</summary>
    public static bool TryReadSubjectAltName(ReadOnlyMemory<byte> extensionValue, out Basic4Info? info)
    {
        info = null;
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                if (names.PeekTag() != OtherNameTag)
                {
                    // Other GeneralName forms (e.g. an e-mail address) are legal in a SAN and not ours to judge.
                    names.ReadEncodedValue();
                    continue;
                }

                var otherName = names.ReadSequence(OtherNameTag);
                var typeId = otherName.ReadObjectIdentifier();
                var wrapped = otherName.ReadSequence(ExplicitValueTag);
                otherName.ThrowIfNotEmpty();
                if (!IsBasic4Oid(typeId))
                {
                    continue;
                }

                var value = wrapped.ReadCharacterString(UniversalTagNumber.UTF8String);
                wrapped.ThrowIfNotEmpty();
                if (!facts.TryAdd(typeId, value))
                {
                    return false;
                }
            }
        }
        catch (AsnContentException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }

        if (!facts.TryGetValue(Oids.Basic4Name, out var name)
            || !facts.TryGetValue(Oids.Basic4Gender, out var genderText)
            || !facts.TryGetValue(Oids.Basic4BirthDate, out var birthText)
            || !facts.TryGetValue(Oids.Basic4Address, out var address))
        {
            return false;
        }

        if (genderText.Length != 1 || !int.TryParse(genderText, NumberStyles.None, CultureInfo.InvariantCulture, out var genderCode)
            || !Enum.IsDefined((Gender)genderCode))
        {
            return false;
        }

        if (!DateOnly.TryParseExact(birthText, BirthDateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var birthDate))
        {
            return false;
        }

        var candidate = new Basic4Info(
            name,
            facts.GetValueOrDefault(Oids.Basic4NameAlt),
            (Gender)genderCode,
            birthDate,
            address,
            facts.GetValueOrDefault(Oids.Basic4AddressAlt));
        if (!candidate.TryValidate(out _))
        {
            return false;
        }

        info = candidate;
        return true;
    }

    /// <summary>Writes the subjectAltName value (GeneralNames) for facts the caller has already validated.</summary>
    internal static void WriteGeneralNames(AsnWriter writer, Basic4Info info)
    {
        using (writer.PushSequence())
        {
            WriteOtherName(writer, Oids.Basic4Name, info.Name);
            if (info.NameAlt is not null)
            {
                WriteOtherName(writer, Oids.Basic4NameAlt, info.NameAlt);
            }

            WriteOtherName(writer, Oids.Basic4Gender, ((int)info.Gender).ToString(CultureInfo.InvariantCulture));
            WriteOtherName(writer, Oids.Basic4BirthDate, info.BirthDate.ToString(BirthDateFormat, CultureInfo.InvariantCulture));
            WriteOtherName(writer, Oids.Basic4Address, info.Address);
            if (info.AddressAlt is not null)
            {
                WriteOtherName(writer, Oids.Basic4AddressAlt, info.AddressAlt);
            }
        }
    }

    private static bool IsBasic4Oid(string oid) => oid is Oids.Basic4Name or Oids.Basic4NameAlt or Oids.Basic4Gender
        or Oids.Basic4BirthDate or Oids.Basic4Address or Oids.Basic4AddressAlt;

    private static void WriteOtherName(AsnWriter writer, string typeId, string value)
    {
        using (writer.PushSequence(OtherNameTag))
        {
            writer.WriteObjectIdentifier(typeId);
            using (writer.PushSequence(ExplicitValueTag))
            {
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
            }
        }
    }
}
