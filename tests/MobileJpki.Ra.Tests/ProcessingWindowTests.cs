namespace MobileJpki.Ra.Tests;

public sealed class ProcessingWindowTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static readonly ProcessingWindow Default = new(new ProcessingWindowOptions());

    private static DateTimeOffset JstAt(int day, int hour, int minute, int second = 0) => new(2026, 4, day, hour, minute, second, Jst);

    [Fact]
    public void ProcessAfter_InsideWindow_IsImmediate()
    {
        var accepted = JstAt(1, 12, 34, 56);

        Assert.Equal(accepted, Default.ProcessAfter(accepted));
        Assert.True(Default.IsOpen(accepted));
    }

    [Fact]
    public void ProcessAfter_ExactlyAtOpening_IsImmediate()
    {
        var accepted = JstAt(1, 8, 0);

        Assert.Equal(accepted, Default.ProcessAfter(accepted));
    }

    [Fact]
    public void ProcessAfter_JustBeforeCutoff_IsImmediate()
    {
        var accepted = JstAt(1, 19, 29, 59).AddMilliseconds(999);

        Assert.Equal(accepted, Default.ProcessAfter(accepted));
    }

    [Fact]
    public void ProcessAfter_ExactlyAtCutoff_IsNextDayOpening()
    {
        Assert.Equal(JstAt(2, 8, 0), Default.ProcessAfter(JstAt(1, 19, 30)));
        Assert.False(Default.IsOpen(JstAt(1, 19, 30)));
    }

    [Fact]
    public void ProcessAfter_BeforeOpening_IsSameDayOpening()
    {
        Assert.Equal(JstAt(1, 8, 0), Default.ProcessAfter(JstAt(1, 7, 59)));
    }

    [Fact]
    public void ProcessAfter_LateEvening_IsNextDayOpening()
    {
        Assert.Equal(JstAt(2, 8, 0), Default.ProcessAfter(JstAt(1, 23, 0)));
    }

    [Fact]
    public void ProcessAfter_AfterMidnightJst_IsSameJstDayOpening()
    {
        // 00:30 JST on 2 April is still 1 April in UTC; the JST date must decide.
        var accepted = JstAt(2, 0, 30).ToUniversalTime();

        Assert.Equal(JstAt(2, 8, 0), Default.ProcessAfter(accepted));
    }

    [Fact]
    public void ProcessAfter_UtcInstantAfterJstCutoff_IsNextJstOpening()
    {
        // 10:45 UTC is 19:45 JST: after the cutoff although it is mid-morning in UTC.
        var accepted = new DateTimeOffset(2026, 4, 1, 10, 45, 0, TimeSpan.Zero);

        var due = Default.ProcessAfter(accepted);

        Assert.Equal(new DateTimeOffset(2026, 4, 1, 23, 0, 0, TimeSpan.Zero), due);
        Assert.Equal(JstAt(2, 8, 0), due);
    }

    [Fact]
    public void ProcessAfter_LastDayOfMonthAfterCutoff_RollsOverMonth()
    {
        var accepted = new DateTimeOffset(2026, 4, 30, 21, 0, 0, Jst);

        Assert.Equal(new DateTimeOffset(2026, 5, 1, 8, 0, 0, Jst), Default.ProcessAfter(accepted));
    }

    [Theory]
    [InlineData(8, 59, 1, 9, 0)]
    [InlineData(9, 0, 1, 9, 0)]
    [InlineData(16, 59, 1, 16, 59)]
    [InlineData(17, 0, 2, 9, 0)]
    [InlineData(23, 59, 2, 9, 0)]
    public void ProcessAfter_CustomTimes_FollowsConfiguredWindow(int hour, int minute, int dueDay, int dueHour, int dueMinute)
    {
        var window = new ProcessingWindow(new ProcessingWindowOptions { Opening = new TimeOnly(9, 0), Cutoff = new TimeOnly(17, 0) });

        Assert.Equal(JstAt(dueDay, dueHour, dueMinute), window.ProcessAfter(JstAt(1, hour, minute)));
    }

    [Fact]
    public void NextOpening_AtOpening_IsNextDay()
    {
        Assert.Equal(JstAt(2, 8, 0), Default.NextOpening(JstAt(1, 8, 0)));
    }

    [Theory]
    [InlineData(8, 0, 8, 0)]
    [InlineData(19, 30, 8, 0)]
    [InlineData(12, 0, 11, 59)]
    public void Validate_OpeningNotBeforeCutoff_Throws(int openingHour, int openingMinute, int cutoffHour, int cutoffMinute)
    {
        var options = new ProcessingWindowOptions { Opening = new TimeOnly(openingHour, openingMinute), Cutoff = new TimeOnly(cutoffHour, cutoffMinute) };

        Assert.Throws<InvalidOperationException>(options.Validate);
    }

    [Fact]
    public void Validate_Defaults_AreEightAndNineteenThirty()
    {
        var options = new ProcessingWindowOptions();

        options.Validate();
        Assert.Equal(new TimeOnly(8, 0), options.Opening);
        Assert.Equal(new TimeOnly(19, 30), options.Cutoff);
    }

    [Fact]
    public void Validate_RaOptionsWithBadWindow_Throws()
    {
        var options = new RaOptions { Window = new ProcessingWindowOptions { Opening = new TimeOnly(20, 0), Cutoff = new TimeOnly(19, 30) } };

        Assert.Throws<InvalidOperationException>(options.Validate);
    }
}
