namespace MobileJpki.Ra;

/// <summary>One use of a person's certificate, as My Page shows it (利用履歴).</summary>
public sealed record UsageRecord(long Id, Guid PersonId, DateTimeOffset At, string Kind, string? CertificateSerial, string? Party, string? Detail);

/// <summary>The kinds of use recorded.</summary>
public static class UsageKinds
{
    public const string Login = "login";
    public const string Sign = "sign";
    public const string Kiosk = "kiosk";
    public const string Hospital = "hospital";
    public const string OidcLogin = "oidc-login";
    public const string OidcSign = "oidc-sign";
    public const string EApplication = "e-application";
}

/// <summary>Every use of a person's certificates (login, signature, kiosk, hospital, relying party), for that person to see.</summary>
public interface IUsageLog
{
    Task RecordAsync(UsageRecord usage, CancellationToken ct);

    /// <summary>The person's uses, newest first, with ids below <paramref name="beforeId"/> (0: from the newest).</summary>
    Task<IReadOnlyList<UsageRecord>> ListAsync(Guid personId, long beforeId, int limit, CancellationToken ct);
}
