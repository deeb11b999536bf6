using System.Diagnostics.CodeAnalysis;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>Gender as JPKI encodes it in the signing certificate (1, 2, 3).</summary>
public enum Gender
{
    Male = 1,
    Female = 2,
    Other = 3,
}

/// <summary>Wire and command-line names of <see cref="Gender"/>: male, female, other.</summary>
public static class Genders
{
    public static string WireName(this Gender gender) => gender switch
    {
        Gender.Male => "male",
        Gender.Female => "female",
        Gender.Other => "other",
        _ => throw new ArgumentOutOfRangeException(nameof(gender)),
    };

    public static bool TryParseWireName(string? value, out Gender gender)
    {
        switch (value)
        {
            case "male": gender = Gender.Male; return true;
            case "female": gender = Gender.Female; return true;
            case "other": gender = Gender.Other; return true;
            default: gender = default; return false;
        }
    }
}

/// <summary>The four basic facts (基本4情報) carried by signing certificates: name, gender, birth date, address.</summary>
/// <param name="NameAlt">The name in another script (e.g. a foreign resident's alphabetic name); optional.</param>
/// <param name="AddressAlt">The address in another script; optional.</param>
public sealed record Basic4Info(string Name, string? NameAlt, Gender Gender, DateOnly BirthDate, string Address, string? AddressAlt)
{
    /// <summary>The longest name or address we accept, in UTF-16 code units.</summary>
    public const int MaxTextLength = 256;

    /// <summary>Checks every fact; returns false with a client-safe reason instead of throwing.</summary>
    public bool TryValidate([NotNullWhen(false)] out string? error)
    {
        error = CheckText(nameof(Name), Name)
            ?? (NameAlt is null ? null : CheckText(nameof(NameAlt), NameAlt))
            ?? (Enum.IsDefined(Gender) ? null : "Gender must be male, female or other.")
            ?? CheckText(nameof(Address), Address)
            ?? (AddressAlt is null ? null : CheckText(nameof(AddressAlt), AddressAlt));
        return error is null;
    }

    /// <summary>Throws <see cref="MjpkiException"/> (bad request, "invalid-basic4") when a fact is unusable.</summary>
    public void Validate()
    {
        if (!TryValidate(out var error))
        {
            throw MjpkiException.BadRequest("invalid-basic4", error);
        }
    }

    private static string? CheckText(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{field} must not be empty.";
        }

        if (value.Length > MaxTextLength)
        {
            return $"{field} must be at most {MaxTextLength} characters.";
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return $"{field} must not contain control characters.";
            }

            // A lone surrogate cannot be encoded as UTF-8, so it would corrupt the certificate.
            if (char.IsSurrogate(c))
            {
                if (!char.IsSurrogatePair(value, i))
                {
                    return $"{field} contains an invalid character.";
                }

                i++;
            }
        }

        return null;
    }
}
