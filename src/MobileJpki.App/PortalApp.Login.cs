using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>Login with the phone's auth certificate: マイナポータル on this phone, and approving a kiosk or hospital reader.</summary>
public sealed partial class PortalApp
{
    /// <summary>
    /// マイナポータル login: the server hands this phone a challenge; the person enters the 4-digit PIN; the SE signs the
    /// login message with the auth key; the server opens a portal session.
    /// </summary>
    public async Task<SessionView> LoginAsync(string? pin, CancellationToken ct)
    {
        var (phoneId, secret) = Credentials();
        var challenge = await api.GetPortalChallengeAsync(phoneId, secret, ct);
        var answer = SignLogin(LoginMessage.Portal, string.Empty, api.Origin, challenge.Challenge, pin) with { PhoneId = phoneId };
        var session = await api.LoginAsync(answer, secret, ct);
        screens.Show("マイナポータルにログインしました", "Logged in to the portal", $"有効期限 / until {session.ExpiresAt.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST");
        return session;
    }

    /// <summary>
    /// The phone held to a kiosk or hospital reader: after the PIN, the SE signs the terminal's challenge for this
    /// audience, terminal and server; the terminal sends the answer.
    /// </summary>
    public LoginRequest ApproveTerminalLogin(LoginChallengeView challenge, string? pin)
    {
        var (what, whatEn) = challenge.Audience switch
        {
            LoginMessage.Kiosk => ("コンビニ交付", "Convenience-store kiosk"),
            LoginMessage.Hospital => ("マイナ保険証", "Hospital reader"),
            _ => ("マイナポータル", "Portal"),
        };
        screens.Show($"{what}の本人確認", $"{whatEn}: confirm it is you", $"端末 / terminal {challenge.Party}");
        return SignLogin(challenge.Audience, challenge.Party, api.Origin, challenge.Challenge, pin);
    }

    private LoginRequest SignLogin(string audience, string party, string origin, string challenge, string? pin)
    {
        if (!phone.SecureElement.HasKey(PinKind.Auth) || !phone.SecureElement.HasCertificate(PinKind.Auth))
        {
            throw new AppException("no-auth-certificate", "このスマホには利用者証明用電子証明書がありません / This phone has no auth certificate (apply and register first).");
        }

        var given = pin ?? screens.Ask("スマホ用利用者証明用電子証明書のパスワード（数字4桁）", "Phone auth PIN (4 digits)", secret: true);
        if (!PasswordPolicy.TryValidateAuthPin(given, out var pinError))
        {
            throw new AppException("bad-pin", pinError);
        }

        using var se = OpenSecureElement();
        var jpki = se.Client.Jpki;
        jpki.SelectAp();
        var result = jpki.Verify(PinKind.Auth, given);
        if (result.Locked)
        {
            throw new AppException("phone-password-locked", LockedMessage(PinKind.Auth));
        }

        if (!result.Verified)
        {
            throw new AppException("wrong-phone-password", $"パスワードが違います（残り{result.TriesLeft}回）/ Wrong phone auth PIN ({result.TriesLeft} tries left before it locks).");
        }

        using var certificate = jpki.ReadCertificate(JpkiFiles.CertificateFid(PinKind.Auth));
        using var key = new JpkiRsa(jpki, PinKind.Auth, certificate.GetRSAPublicKey()!.ExportParameters(false));
        var signature = key.SignData(LoginMessage.SignedBytes(audience, party, origin, challenge), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new LoginRequest(challenge, Convert.ToBase64String(certificate.RawData), Convert.ToBase64String(signature));
    }
}
