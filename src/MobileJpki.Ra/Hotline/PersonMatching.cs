using System.Globalization;
using System.Text;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>
/// Compares what a caller says with the 基本4情報 in a card signing certificate: NFKC (full-width letters, digits and
/// spaces become their plain forms) and no whitespace at all, so 「デジタル　太郎」 matches 「デジタル太郎」.
/// </summary>
public static class PersonMatching
{
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var folded = value.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (!char.IsWhiteSpace(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }

    /// <summary>True when the name (or its other-script form) and, when given, the address match.</summary>
    public static bool Matches(Basic4Info info, string name, string? address)
    {
        ArgumentNullException.ThrowIfNull(info);
        var n = Normalize(name);
        var nameOk = n == Normalize(info.Name) || (info.NameAlt is { } alt && n == Normalize(alt));
        if (!nameOk)
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(address))
        {
            return true;
        }

        var a = Normalize(address);
        return a == Normalize(info.Address) || (info.AddressAlt is { } altAddress && a == Normalize(altAddress));
    }

    /// <summary>Reads the 基本4情報 from a card signing certificate's subjectAltName; null when it cannot.</summary>
    public static Basic4Info? Read(byte[] der)
    {
        Basic4Info? basic4 = null;
        return DerCertificate.TryParse(der, out var cert) && cert is not null
            && cert.TryGetExtension(Basic4InfoCodec.SubjectAltNameOid, out var san)
            && Basic4InfoCodec.TryReadSubjectAltName(san, out basic4)
            ? basic4
            : null;
    }

    /// <summary>The first character of the name, for the operator to confirm with the caller.</summary>
    public static string NameInitial(Basic4Info info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var name = info.Name.Trim();
        return name.Length == 0 ? "—" : StringInfo.GetNextTextElement(name) + "＊";
    }

    /// <summary>The prefecture (都道府県) at the start of the address, or "—".</summary>
    public static string Prefecture(Basic4Info info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var address = info.Address.Trim().Normalize(NormalizationForm.FormKC);

        // Prefecture names are two or three characters before 都・道・府・県 (東京都, 京都府, 神奈川県).
        foreach (var end in new[] { 2, 3 })
        {
            if (address.Length > end && address[end] is '都' or '道' or '府' or '県')
            {
                return address[..(end + 1)];
            }
        }

        return "—";
    }
}
