using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Notifications;
using MobileJpki.Server.Hosting;
using MobileJpki.Storage;

namespace MobileJpki.Server.Tests;

/// <summary>E-mail notices through a real SMTP server on loopback, read back from its maildir.</summary>
public sealed class EmailNotificationTests(EmailServer server) : IClassFixture<EmailServer>
{
    [Fact]
    public async Task Issue_WithEmail_MessageArrivesOnceInJapaneseAndEnglish_ResendKeepsMessageId()
    {
        _ = TestSmtp.Port;
        var address = $"hanako.{Guid.NewGuid():N}@example.jp";
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync("マイナ 花子", "1990-06-15", "female", "大阪府大阪市北区中之島1-3-20");
        var phone = server.NewPhone();
        var app = server.NewApp(phone);

        var receipt = await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, address), CancellationToken.None);
        var notice = await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal("issued", notice.Type);

        // The outbox row was written with the notice, and the worker delivered it.
        var key = $"issued:{receipt.ApplicationId}:email:{address}";
        var row = await NotificationSteps.WaitForOutboxAsync(server, key, r => r.DeliveredAt is not null, "the e-mail to be delivered");
        Assert.Equal(OutboxChannels.Email, row.Channel);
        Assert.Equal(address, row.Recipient);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.LastError);

        var message = Assert.Single(TestSmtp.MessagesTo(address));
        Assert.Equal(address, Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("noreply@mobilejpki.example", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal("スマホ用電子証明書の発行が完了しました / Your smartphone certificates are ready", message.Subject);
        var text = message.TextBody ?? string.Empty;
        Assert.Contains("マイナポータルアプリを開いて利用登録を行ってください", text, StringComparison.Ordinal);
        Assert.Contains("Open the app and register them", text, StringComparison.Ordinal);
        Assert.Contains(receipt.ApplicationId, text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("利用登録を行って", StringComparison.Ordinal) < text.IndexOf("Open the app", StringComparison.Ordinal), "Japanese first, English beside it");
        var messageId = EmailComposer.MessageIdFor(key, "noreply@mobilejpki.example");
        Assert.Equal(messageId, message.MessageId);

        // Delivery is at least once: a crash after sending but before recording it sends the message again,
        // and the copy carries the same Message-Id, so it is recognisable as the same message.
        await using (var db = server.OpenDb())
        {
            var now = server.Clock.GetUtcNow();
            await db.Outbox.Where(o => o.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(o => o.DeliveredAt, (DateTimeOffset?)null).SetProperty(o => o.NextAttemptAt, now));
        }

        server.Services.GetRequiredService<OutboxWorker>().Poke();
        await NotificationSteps.WaitForOutboxAsync(server, key, r => r.DeliveredAt is not null, "the re-delivery");
        var copies = TestSmtp.MessagesTo(address);
        Assert.Equal(2, copies.Count);
        Assert.All(copies, m => Assert.Equal(messageId, m.MessageId));

        // And a second outbox row for the same message cannot exist: the key is unique.
        await using (var db = server.OpenDb())
        {
            db.Outbox.Add(new OutboxMessageEntity { Channel = OutboxChannels.Email, Recipient = address, IdempotencyKey = key, PayloadJson = row.PayloadJson, CreatedAt = row.CreatedAt, NextAttemptAt = row.CreatedAt });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    [Fact]
    public async Task Apply_WithoutEmail_NoEmailInTheOutbox()
    {
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);

        var receipt = await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, null), CancellationToken.None);
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);

        await using var db = server.OpenDb();
        Assert.False(await db.Outbox.AnyAsync(o => o.IdempotencyKey.StartsWith($"issued:{receipt.ApplicationId}:")));
    }
}

/// <summary>The SMTP server is down: the e-mail waits in the outbox with the reason and goes out once it is back.</summary>
public sealed class SmtpDownTests(FlakySmtpServer server) : IClassFixture<FlakySmtpServer>
{
    [Fact]
    public async Task Issue_SmtpDown_RetriedWithBackoffThenDeliveredExactlyOnce()
    {
        _ = TestSmtp.Port;
        var address = $"taro.{Guid.NewGuid():N}@example.jp";
        await server.ToOpeningAsync();
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);

        var receipt = await app.ApplyAsync(card.Card.Applet, NotificationSteps.Answers(card.Password, address), CancellationToken.None);
        await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        var key = $"issued:{receipt.ApplicationId}:email:{address}";

        // Down: the attempt failed, the row is not delivered, the reason is recorded and the next try is later.
        var failed = await NotificationSteps.WaitForOutboxAsync(server, key, r => r.Attempts >= 1 && r.LastError is not null, "a failed attempt");
        Assert.Null(failed.DeliveredAt);
        Assert.Contains("smtp", failed.LastError, StringComparison.Ordinal);
        Assert.True(failed.NextAttemptAt > server.Clock.GetUtcNow(), "a failed message waits for its backoff");
        Assert.Empty(TestSmtp.MessagesTo(address));

        // Back up, and past the longest backoff: delivered, once.
        server.StartRelay();
        server.Clock.Advance(TimeSpan.FromMinutes(11));
        var delivered = await NotificationSteps.WaitForOutboxAsync(server, key, r => r.DeliveredAt is not null, "delivery after the server came back");
        Assert.True(delivered.Attempts >= 2);
        Assert.Null(delivered.LastError);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var message = Assert.Single(TestSmtp.MessagesTo(address));
        Assert.Equal(EmailComposer.MessageIdFor(key, new NotificationOptions().Smtp.From), message.MessageId);
    }

    [Fact]
    public void Backoff_DoublesAndIsCappedAtTenMinutes()
    {
        var options = new OutboxOptions();
        Assert.Equal(TimeSpan.FromSeconds(5), options.BackoffAfter(1));
        Assert.Equal(TimeSpan.FromSeconds(10), options.BackoffAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(80), options.BackoffAfter(5));
        Assert.Equal(TimeSpan.FromMinutes(10), options.BackoffAfter(9));
        Assert.Equal(TimeSpan.FromMinutes(10), options.BackoffAfter(1000));
    }
}
