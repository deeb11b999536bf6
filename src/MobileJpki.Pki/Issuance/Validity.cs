namespace MobileJpki.Pki;

/// <summary>Validity periods: until the end of the 5th birthday after issue (JST); a phone certificate ends with its card's.</summary>
public static class Validity
{
    /// <summary>Japan Standard Time has no daylight saving, so a fixed offset is exact.</summary>
    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public const int BirthdaysValid = 5;

    /// <summary>23:59:59 JST on the 5th birthday strictly after the issue date (the date in JST).</summary>
    /// <remarks>
    /// A birthday on the issue day itself does not count: a certificate issued on someone's birthday runs to their
    /// birthday five years later plus one. For a 29 February birthday we count 28 February in common years (the day
    /// the person's age changes under Japanese practice is a matter of law we do not model; ending a day early is the
    /// conservative choice for a certificate).
    /// </remarks>
    public static DateTimeOffset CardNotAfter(DateOnly birthDate, DateTimeOffset issuedAt)
    {
        var issueDate = DateOnly.FromDateTime(issuedAt.ToOffset(Jst).DateTime);
        if (birthDate > issueDate)
        {
            throw new ArgumentOutOfRangeException(nameof(birthDate), "The birth date is after the issue date.");
        }

        var firstYear = BirthdayIn(birthDate, issueDate.Year) > issueDate ? issueDate.Year : issueDate.Year + 1;
        var last = BirthdayIn(birthDate, firstYear + BirthdaysValid - 1);
        return new DateTimeOffset(last.Year, last.Month, last.Day, 23, 59, 59, Jst);
    }

    /// <summary>The card rule, further capped by <paramref name="cap"/> (the card certificate's NotAfter for phone kinds).</summary>
    public static DateTimeOffset NotAfter(DateOnly birthDate, DateTimeOffset issuedAt, DateTimeOffset? cap)
    {
        var byBirthday = CardNotAfter(birthDate, issuedAt);
        return TruncateToSeconds(cap is { } c && c < byBirthday ? c : byBirthday);
    }

    /// <summary>Phone kinds: never later than the card certificate they derive from.</summary>
    public static DateTimeOffset PhoneNotAfter(DateOnly birthDate, DateTimeOffset issuedAt, DateTimeOffset cardNotAfter) =>
        NotAfter(birthDate, issuedAt, cardNotAfter);

    /// <summary>X.509 times have whole seconds; truncating (never rounding up) keeps a capped time within its cap.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), value.Offset);

    private static DateOnly BirthdayIn(DateOnly birthDate, int year) =>
        birthDate is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year)
            ? new DateOnly(year, 2, 28)
            : new DateOnly(year, birthDate.Month, birthDate.Day);
}
