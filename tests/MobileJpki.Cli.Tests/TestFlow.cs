using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Cli.Tests;

/// <summary>The seed flow driven from tests against real server processes: cards, answers, a silent app.</summary>
internal static class TestFlow
{
    public const string CardPassword = "CARD2023";

    public static ApplyOptions Answers() => new()
    {
        CardPassword = CardPassword,
        NewSigningPassword = "PHONE2023",
        NewAuthPin = "5678",
        Confirmed = true,
    };

    public static PortalApp NewApp(VirtualPhone phone, ServerApi api, TimeProvider clock) =>
        new(phone, () => { }, api, new SilentScreens(), clock);

    /// <summary>市区町村窓口: a blank card gets its two certificates from the server's CA.</summary>
    public static async Task<VirtualCard> IssueCardAsync(ServerApi api, string name, string gender = "male", string birthDate = "1980-01-01", string address = "東京都千代田区紀尾井町1-3")
    {
        var card = VirtualCard.CreateBlank(CardPassword, "1234");
        var issued = await api.IssueCardAsync(
            new CardIssueRequest(name, null, gender, birthDate, address, null, Convert.ToBase64String(card.SigningPublicKeyInfo), Convert.ToBase64String(card.AuthPublicKeyInfo)),
            CancellationToken.None);
        card.InstallCertificates(
            Convert.FromBase64String(issued.SigningCertificate),
            Convert.FromBase64String(issued.SigningCaCertificate),
            Convert.FromBase64String(issued.AuthCertificate),
            Convert.FromBase64String(issued.AuthCaCertificate));
        return card;
    }

    /// <summary>The system clock shifted to a server's sandbox time, so phones' attestations agree with the server.</summary>
    public sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    private sealed class SilentScreens : IAppScreens
    {
        public void Show(string titleJa, string titleEn, string? body = null)
        {
        }

        public void Progress(int percent, string labelJa, string labelEn)
        {
        }

        public string Ask(string promptJa, string promptEn, bool secret) => throw new InvalidOperationException("every answer is given up front");

        public bool Confirm(string promptJa, string promptEn) => true;
    }
}
