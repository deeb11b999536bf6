namespace MobileJpki.Tests.Shared;

/// <summary>
/// The server's rate limits lifted: a test client is one source making far more calls than any person would, so test
/// servers run with these settings, and the throttling tests set their own low limits instead.
/// </summary>
public static class TestRateLimits
{
    private static readonly string[] Policies = ["OperatorSignIn", "LoginChallenges", "DeviceLinks", "Simulator", "PushSubscriptions"];

    public static IReadOnlyList<KeyValuePair<string, string>> Unthrottled { get; } =
        [.. Policies.SelectMany(p => new[] { new KeyValuePair<string, string>($"RateLimits:{p}:PermitLimit", "1000000"), new KeyValuePair<string, string>($"RateLimits:{p}:PerAccountPermitLimit", "0") })];
}
