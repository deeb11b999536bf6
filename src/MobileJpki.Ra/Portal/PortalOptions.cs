using System.Text.RegularExpressions;

namespace MobileJpki.Ra.Portal;

/// <summary>Logins to the portal, kiosks and hospital readers (<c>Portal:*</c>; docs/relying-parties.md).</summary>
public sealed partial class PortalOptions
{
    /// <summary>How long a login challenge may be answered. Default 2 minutes.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a portal session lasts. Default 30 minutes.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a kiosk or hospital-reader session lasts (one visit at the terminal). Default 5 minutes.</summary>
    public TimeSpan TerminalSessionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The public origin (<c>https://host[:port]</c>) the login message is bound to; empty: the origin the request came
    /// to (scheme and Host header). Set it behind a reverse proxy.
    /// </summary>
    public string Origin { get; set; } = string.Empty;

    /// <summary>Kiosks (コンビニ交付) by id, each with its API key (header <c>X-Terminal-Key</c>).</summary>
    public Dictionary<string, string> Kiosks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Hospital readers (マイナ保険証) by id, each with its API key (header <c>X-Terminal-Key</c>).</summary>
    public Dictionary<string, string> Hospitals { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether terminals that are not configured are let in without a key (sandbox mode only).</summary>
    public bool OpenTerminals { get; set; }

    /// <summary>Fails start-up on values that cannot work.</summary>
    public void Validate()
    {
        if (ChallengeLifetime < TimeSpan.FromSeconds(10) || ChallengeLifetime > TimeSpan.FromMinutes(10))
        {
            throw new InvalidOperationException("Portal:ChallengeLifetime must be between 10 seconds and 10 minutes.");
        }

        if (SessionLifetime < TimeSpan.FromMinutes(1) || SessionLifetime > TimeSpan.FromHours(12))
        {
            throw new InvalidOperationException("Portal:SessionLifetime must be between 1 minute and 12 hours.");
        }

        if (TerminalSessionLifetime < TimeSpan.FromMinutes(1) || TerminalSessionLifetime > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException("Portal:TerminalSessionLifetime must be between 1 minute and 1 hour.");
        }

        if (Origin.Length > 0 && (!Uri.TryCreate(Origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.AbsolutePath != "/"))
        {
            throw new InvalidOperationException("Portal:Origin must be an http(s) origin such as https://portal.example.jp.");
        }

        foreach (var (section, terminals) in new[] { ("Kiosks", Kiosks), ("Hospitals", Hospitals) })
        {
            foreach (var (id, key) in terminals)
            {
                if (!IsTerminalId(id) || key is null || key.Length < 16)
                {
                    throw new InvalidOperationException($"Portal:{section}: ids are 1–64 of A–Z a–z 0–9 . _ - and each key has at least 16 characters.");
                }
            }
        }
    }

    /// <summary>A kiosk or hospital id: 1–64 of A–Z, a–z, 0–9, '.', '_', '-'.</summary>
    public static bool IsTerminalId(string? id) => id is { Length: > 0 and <= 64 } && TerminalId().IsMatch(id);

    // \A…\z, not ^…$: '$' also matches before a final '\n', which would let "kiosk-1\n" pass as "kiosk-1".
    [GeneratedRegex(@"\A[A-Za-z0-9._-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex TerminalId();
}
