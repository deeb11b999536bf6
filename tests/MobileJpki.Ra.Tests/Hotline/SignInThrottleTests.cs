namespace MobileJpki.Ra.Tests.Hotline;

/// <summary>The lockout rule without a database: what is compared, when a lock starts, how long it lasts, whose attempts count together.</summary>
public sealed class SignInThrottleTests
{
    private static readonly DateTimeOffset Now = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly HotlineOptions Options = new() { MaxFailedSignIns = 5, SignInBackoff = TimeSpan.FromMinutes(1), MaxSignInBackoff = TimeSpan.FromMinutes(10) };

    [Theory]
    [InlineData(1, true)]
    [InlineData(5, true)]
    [InlineData(6, false)]
    [InlineData(50, false)]
    public void MayCompare_OnlyAttemptsWithinTheLimit(int attempts, bool compared) =>
        Assert.Equal(compared, SignInThrottle.MayCompare(new SignInAttempt(attempts, 0, null, attempts), Now, Options));

    [Fact]
    public void MayCompare_WhileLocked_Never() =>
        Assert.False(SignInThrottle.MayCompare(new SignInAttempt(1, 1, Now.AddSeconds(1), 9), Now, Options));

    [Fact]
    public void LockFor_TheAttemptReachingTheLimit_LocksOnceForTheBackoff()
    {
        Assert.Null(SignInThrottle.LockFor(new SignInAttempt(4, 0, null, 4), Now, Options));
        Assert.Equal(Now.AddMinutes(1), SignInThrottle.LockFor(new SignInAttempt(5, 0, null, 5), Now, Options));
        Assert.Null(SignInThrottle.LockFor(new SignInAttempt(6, 1, Now.AddMinutes(1), 6), Now, Options));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 10)]
    [InlineData(1000, 10)]
    public void Backoff_DoublesPerEarlierLockUpToTheCap(int lockouts, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), SignInThrottle.Backoff(lockouts, Options));

    [Theory]
    [InlineData(null, "-")]
    [InlineData("", "-")]
    [InlineData("not an address", "-")]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64")]
    public void SourceKey_IPv6CountsPerSlash64(string? address, string key) =>
        Assert.Equal(key, SignInThrottle.SourceKey(address));

    [Theory]
    [InlineData(0, 60)]
    [InlineData(60, 30)]
    [InlineData(86_401, 86_401)]
    public void Validate_BadBackoffs_FailStart(int backoffSeconds, int maxSeconds)
    {
        var options = new HotlineOptions { SignInBackoff = TimeSpan.FromSeconds(backoffSeconds), MaxSignInBackoff = TimeSpan.FromSeconds(maxSeconds) };

        Assert.Contains("SignInBackoff", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
    }
}
