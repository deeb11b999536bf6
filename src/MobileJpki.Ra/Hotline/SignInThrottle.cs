using System.Net;
using System.Net.Sockets;

namespace MobileJpki.Ra;

/// <summary>
/// The sign-in lockout rule (docs/security.md, "Audit log and operator sign-in"): per account and source, at most
/// <see cref="HotlineOptions.MaxFailedSignIns"/> attempts are compared; the attempt that reaches the limit locks that
/// source out for a back-off that doubles with each lock (capped); other sources are not affected.
/// </summary>
public static class SignInThrottle
{
    /// <summary>The source key of requests without a remote address (all share one throttle).</summary>
    public const string UnknownSource = "-";

    /// <summary>True when this counted attempt may have its password compared.</summary>
    public static bool MayCompare(SignInAttempt attempt, DateTimeOffset now, HotlineOptions options)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(options);
        return !IsLocked(attempt, now) && attempt.Attempts <= options.MaxFailedSignIns;
    }

    /// <summary>The lock this counted attempt starts: when it reaches the limit and no lock is running.</summary>
    public static DateTimeOffset? LockFor(SignInAttempt attempt, DateTimeOffset now, HotlineOptions options)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(options);
        return attempt.LockedUntil is null && attempt.Attempts >= options.MaxFailedSignIns ? now + Backoff(attempt.Lockouts, options) : null;
    }

    public static bool IsLocked(SignInAttempt attempt, DateTimeOffset now) => attempt?.LockedUntil is { } until && until > now;

    /// <summary>The length of lock number <paramref name="lockouts"/> + 1: the base doubled per earlier lock, capped.</summary>
    public static TimeSpan Backoff(int lockouts, HotlineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var doublings = Math.Clamp(lockouts, 0, 30);
        var ticks = options.SignInBackoff.Ticks * Math.Pow(2, doublings);
        return ticks >= options.MaxSignInBackoff.Ticks ? options.MaxSignInBackoff : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// Whose attempts count together: the remote address; an IPv6 address by its /64 (one host usually holds a whole
    /// /64, so counting single addresses would give it 2^64 sources); an IPv4-mapped address as IPv4.
    /// </summary>
    public static string SourceKey(string? remoteAddress)
    {
        if (string.IsNullOrEmpty(remoteAddress) || !IPAddress.TryParse(remoteAddress, out var address))
        {
            return UnknownSource;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
