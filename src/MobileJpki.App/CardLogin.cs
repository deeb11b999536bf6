using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>
/// マイナポータル login with the My Number Card (a PC with a card reader): the browser keeps a random nonce, asks for a
/// challenge bound to it, the card signs the login message with its auth key after the 4-digit PIN, the server opens a
/// portal session.
/// </summary>
public static class CardLogin
{
    public static async Task<SessionView> LoginAsync(ServerApi api, IApduChannel card, string pin, CancellationToken ct)
    {
        if (!PasswordPolicy.TryValidateAuthPin(pin, out var pinError))
        {
            throw new AppException("bad-card-pin", pinError);
        }

        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var challenge = await api.GetCardChallengeAsync(nonce, ct);
        var answer = Sign(card, pin, LoginMessage.SignedBytes(challenge.Audience, challenge.Party, api.Origin, challenge.Challenge));
        return await api.LoginAsync(new LoginRequest(challenge.Challenge, Convert.ToBase64String(answer.Certificate), Convert.ToBase64String(answer.Signature), ClientNonce: nonce), null, ct);
    }

    /// <summary>The card's auth certificate and its signature over <paramref name="data"/> (COMPUTE DIGITAL SIGNATURE after VERIFY).</summary>
    public static (byte[] Certificate, byte[] Signature) Sign(IApduChannel card, string pin, byte[] data)
    {
        var client = new JpkiClient(card);
        try
        {
            client.SelectAp();
            var status = client.Verify(PinKind.Auth, pin);
            if (!status.Verified)
            {
                throw status.Locked
                    ? new AppException("card-locked", "カードの利用者証明用電子証明書の暗証番号がロックされています。市区町村窓口で初期化してください / The card's auth PIN is locked; have it reset at your municipal office.")
                    : new AppException("wrong-card-pin", $"カードの利用者証明用電子証明書の暗証番号が違います（残り{status.TriesLeft}回）/ Wrong card auth PIN ({status.TriesLeft} tries left before it locks).");
            }

            using var certificate = client.ReadCertificate(JpkiFiles.CertificateFid(PinKind.Auth));
            using var key = new JpkiRsa(client, PinKind.Auth, certificate.GetRSAPublicKey()!.ExportParameters(false));
            return (certificate.RawData, key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
        catch (JpkiCardException ex)
        {
            throw new AppException("card-error", $"カードを読み取れませんでした / The card could not be read (SW {ex.Sw:X4}): {ex.Message}");
        }
    }
}
