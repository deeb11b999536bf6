using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>My Page in the portal app: e-applications signed inside the SE with the phone signing key.</summary>
public sealed partial class PortalApp
{
    /// <summary>
    /// 電子申請: shows the form's type, asks for the phone signing password, signs the form inside the SE as CMS
    /// SignedData (signingTime from the server's clock) and submits it in the portal session <paramref name="token"/>.
    /// The server checks the form's fields; the app checks only the type and that the form is a JSON object.
    /// </summary>
    public async Task<EApplicationReceipt> SubmitEApplicationAsync(string token, string type, JsonElement form, string? signingPassword, CancellationToken ct)
    {
        if (!EApplicationTypes.IsKnown(type))
        {
            throw new AppException("unknown-e-application-type", $"申請の種類が不明です / Unknown e-application type; use one of {string.Join(", ", EApplicationTypes.All)}.");
        }

        if (form.ValueKind != JsonValueKind.Object)
        {
            throw new AppException("bad-form", "フォームはJSONオブジェクトです / The form must be a JSON object.");
        }

        var content = new EApplicationContent(type, form).ToJsonBytes();
        if (content.Length > EApplicationContent.MaxBytes)
        {
            throw new AppException("bad-form", $"フォームが大きすぎます / The form is larger than {EApplicationContent.MaxBytes} bytes.");
        }

        screens.Show("電子申請: " + EApplicationTypes.Title(type)!.Split(" / ")[0], "E-application: " + EApplicationTypes.Title(type)!.Split(" / ")[1], "スマホ用署名用電子証明書で署名して送信します / It is signed with your phone signing certificate and sent.");
        var password = signingPassword ?? screens.Ask("スマホ用署名用電子証明書のパスワード", "Phone signing password", secret: true);
        var cms = SignWithPhoneSigningKey(content, password, await api.GetServerTimeAsync(ct));
        var receipt = await api.SubmitEApplicationAsync(token, new EApplicationSubmission(type, Convert.ToBase64String(cms)), ct);
        screens.Show("申請を受け付けました", "E-application received", $"{receipt.Application.Title}: {receipt.Application.Summary}");
        return receipt;
    }

    /// <summary>
    /// Signs <paramref name="content"/> inside the SE with the phone signing key after checking the password there, as
    /// CMS SignedData (<see cref="EApplicationCms"/>); the private key never leaves the SE. Public so relying-party tests
    /// can sign any content the way the app does.
    /// </summary>
    public byte[] SignWithPhoneSigningKey(byte[] content, string signingPassword, DateTimeOffset signingTime)
    {
        if (!PasswordPolicy.TryNormalizeSigningPassword(signingPassword, out var normalized, out var error))
        {
            throw new AppException("bad-phone-password", error);
        }

        if (!phone.SecureElement.HasKey(PinKind.Signing) || !phone.SecureElement.HasCertificate(PinKind.Signing))
        {
            throw new AppException("no-phone-signing-certificate", "このスマホにはスマホ用署名用電子証明書がありません / This phone has no registered phone signing certificate.");
        }

        using var se = OpenSecureElement();
        var jpki = se.Client.Jpki;
        try
        {
            jpki.SelectAp();
            var pin = jpki.Verify(PinKind.Signing, normalized);
            if (!pin.Verified)
            {
                throw pin.Locked
                    ? new AppException("phone-password-locked", LockedMessage(PinKind.Signing))
                    : new AppException("wrong-phone-password", $"パスワードが違います（残り{pin.TriesLeft}回）/ Wrong phone signing password ({pin.TriesLeft} tries left before it locks).");
            }

            using var certificate = jpki.ReadCertificate(JpkiFiles.CertificateFid(PinKind.Signing));
            using var key = new JpkiRsa(jpki, PinKind.Signing, certificate.GetRSAPublicKey()!.ExportParameters(false));
            return EApplicationCms.Build(content, certificate, key, signingTime);
        }
        catch (JpkiCardException ex)
        {
            throw new AppException("se-error", $"セキュアエレメントで署名できませんでした / The secure element could not sign (SW {ex.Sw:X4}).");
        }
        catch (CryptographicException ex) when (ex.InnerException is JpkiCardException inner)
        {
            throw new AppException("se-error", $"セキュアエレメントで署名できませんでした / The secure element could not sign (SW {inner.Sw:X4}).");
        }
    }
}
