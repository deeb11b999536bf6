namespace MobileJpki.Pki.Tests;

public sealed class ValidityTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static DateTimeOffset EndOfDayJst(int year, int month, int day) => new(year, month, day, 23, 59, 59, Jst);

    [Theory]
    [InlineData("1990-06-15", "2025-04-01", "2029-06-15")] // birthday still ahead this year
    [InlineData("1990-01-10", "2025-04-01", "2030-01-10")] // birthday already passed this year
    [InlineData("1990-04-01", "2025-04-01", "2030-04-01")] // issued on the birthday: that day does not count
    [InlineData("1990-04-02", "2025-04-01", "2029-04-02")] // birthday the next day counts as the first
    [InlineData("2000-02-29", "2025-03-01", "2030-02-28")] // Feb 29 birth ends on Feb 28 in a common year
    [InlineData("2000-02-29", "2027-03-01", "2032-02-29")] // ... and on Feb 29 in a leap year
    [InlineData("2000-02-29", "2025-02-28", "2030-02-28")] // Feb 28 is the birthday in 2025, so issue day does not count
    [InlineData("2025-04-01", "2025-04-01", "2030-04-01")] // a newborn's card
    public void CardNotAfter_EndsOnTheFifthBirthdayAfterIssue(string birth, string issued, string expected)
    {
        var issuedAt = new DateTimeOffset(DateTime.Parse(issued, System.Globalization.CultureInfo.InvariantCulture).AddHours(12), Jst);
        var end = DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture);

        var notAfter = Validity.CardNotAfter(DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture), issuedAt);

        Assert.Equal(EndOfDayJst(end.Year, end.Month, end.Day), notAfter);
        Assert.Equal(Jst, notAfter.Offset);
    }

    [Fact]
    public void CardNotAfter_UsesTheIssueDateInJapan()
    {
        // 16:30 UTC on 31 March is already 1 April (the birthday) in Japan.
        var issuedAt = new DateTimeOffset(2025, 3, 31, 16, 30, 0, TimeSpan.Zero);

        Assert.Equal(EndOfDayJst(2030, 4, 1), Validity.CardNotAfter(new DateOnly(1990, 4, 1), issuedAt));
    }

    [Fact]
    public void CardNotAfter_BirthAfterIssue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Validity.CardNotAfter(new DateOnly(2030, 1, 1), new DateTimeOffset(2025, 1, 1, 0, 0, 0, Jst)));
    }

    [Fact]
    public void PhoneNotAfter_NeverOutlivesTheCard()
    {
        var issuedAt = new DateTimeOffset(2025, 4, 1, 12, 0, 0, Jst);
        var birth = new DateOnly(1990, 6, 15);
        var earlyCard = EndOfDayJst(2027, 1, 1);

        Assert.Equal(earlyCard, Validity.PhoneNotAfter(birth, issuedAt, earlyCard));
        Assert.Equal(EndOfDayJst(2029, 6, 15), Validity.PhoneNotAfter(birth, issuedAt, EndOfDayJst(2035, 1, 1)));
    }

    [Fact]
    public void TruncateToSeconds_DropsTheFraction()
    {
        var value = new DateTimeOffset(2025, 1, 2, 3, 4, 5, Jst).AddTicks(9_999_999);

        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, Jst), Validity.TruncateToSeconds(value));
    }
}
