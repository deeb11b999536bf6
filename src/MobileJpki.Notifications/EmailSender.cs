using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace MobileJpki.Notifications;

/// <summary>An e-mail notice, ready to send.</summary>
public sealed record EmailMessage(string To, string Subject, string TextBody, string MessageId);

/// <summary>Sends one e-mail.</summary>
public interface IEmailSender
{
    Task<DeliveryResult> SendAsync(EmailMessage message, CancellationToken ct);
}

/// <summary>Writes the e-mail for an outbox notice: Japanese first, English beside it.</summary>
public static class EmailComposer
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static EmailMessage Compose(OutboxNotice notice, string to, string idempotencyKey, string fromAddress)
    {
        var (titleJa, titleEn) = Split(notice.Title);
        var (bodyJa, bodyEn) = Split(notice.Body);
        var at = notice.CreatedAt.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .Append(titleJa).Append("\n\n")
            .Append(bodyJa).Append('\n')
            .Append(notice.ApplicationId is null ? string.Empty : $"申請番号: {notice.ApplicationId}\n")
            .Append(CultureInfo.InvariantCulture, $"日時: {at}（日本時間）\n")
            .Append("このメールは送信専用です。心当たりがない場合は、マイナンバー総合フリーダイヤル 0120-95-0178 にお問い合わせください。\n")
            .Append("\n----\n\n")
            .Append(titleEn).Append("\n\n")
            .Append(bodyEn).Append('\n')
            .Append(notice.ApplicationId is null ? string.Empty : $"Application: {notice.ApplicationId}\n")
            .Append(CultureInfo.InvariantCulture, $"Time: {at} JST\n")
            .Append("This address does not receive replies. If you did not apply, call the My Number hotline at 0120-95-0178.\n")
            .ToString();
        return new EmailMessage(to, notice.Title, text, MessageIdFor(idempotencyKey, fromAddress));
    }

    /// <summary>
    /// The Message-Id of an outbox message: derived from its idempotency key, so every re-send of it carries the same
    /// id and a mail client (or the reader) can tell it is the same message.
    /// </summary>
    public static string MessageIdFor(string idempotencyKey, string fromAddress)
    {
        var domain = MailboxAddress.TryParse(fromAddress, out var from) && from.Domain is { Length: > 0 } d ? d : "mobilejpki.invalid";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];
        return $"notice.{hash}@{domain}";
    }

    private static (string Ja, string En) Split(string text)
    {
        var i = text.IndexOf(" / ", StringComparison.Ordinal);
        return i < 0 ? (text, text) : (text[..i], text[(i + 3)..]);
    }
}

/// <summary>E-mail over SMTP with MailKit: one connection per message, settings read at each send.</summary>
public sealed class SmtpEmailSender(Func<SmtpOptions> options) : IEmailSender
{
    public async Task<DeliveryResult> SendAsync(EmailMessage message, CancellationToken ct)
    {
        var smtp = options();
        if (!smtp.IsConfigured)
        {
            return DeliveryResult.Retry("e-mail is not configured (Notifications:Smtp:Host)");
        }

        if (!MailboxAddress.TryParse(message.To, out var to) || !MailboxAddress.TryParse(smtp.From, out var from))
        {
            return DeliveryResult.Abandon("invalid e-mail address");
        }

        var mime = new MimeMessage { Subject = message.Subject, MessageId = message.MessageId };
        mime.From.Add(from);
        mime.To.Add(to);
        mime.Body = new TextPart("plain") { Text = message.TextBody };

        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            var security = !smtp.UseTls ? SecureSocketOptions.None : smtp.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
            await client.ConnectAsync(smtp.Host, smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password, ct);
            }

            await client.SendAsync(mime, ct);
            await client.DisconnectAsync(quit: true, ct);
            return DeliveryResult.Delivered;
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)ex.StatusCode >= 500)
        {
            return DeliveryResult.Abandon($"recipient refused ({(int)ex.StatusCode})");
        }
        catch (SmtpCommandException ex)
        {
            return DeliveryResult.Retry($"smtp {(int)ex.StatusCode} ({ex.ErrorCode})");
        }
        catch (SmtpProtocolException)
        {
            return DeliveryResult.Retry("smtp protocol error");
        }
        catch (AuthenticationException)
        {
            return DeliveryResult.Retry("smtp authentication failed");
        }
        catch (SocketException ex)
        {
            return DeliveryResult.Retry($"smtp server unreachable ({ex.SocketErrorCode})");
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or ServiceNotConnectedException or SslHandshakeException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return DeliveryResult.Retry($"smtp connection failed ({ex.GetType().Name})");
        }
    }
}
