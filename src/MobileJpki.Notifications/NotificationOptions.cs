namespace MobileJpki.Notifications;

/// <summary>Settings under <c>Notifications</c>: the outbox worker, e-mail and Web Push.</summary>
public sealed class NotificationOptions
{
    public OutboxOptions Outbox { get; set; } = new();

    public SmtpOptions Smtp { get; set; } = new();

    public WebPushOptions WebPush { get; set; } = new();

    public void Validate()
    {
        Outbox.Validate();
        Smtp.Validate();
        WebPush.Validate();
    }
}

/// <summary><c>Notifications:Outbox</c>: how the worker claims and retries.</summary>
public sealed class OutboxOptions
{
    /// <summary>Messages claimed per round (default 32, 1–1000).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Deliveries in flight at once (default 4, 1–64).</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>How often the worker looks for due messages, in real time (default 1 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claimed message is hidden from other workers (default 2 min); after that it is retried.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Backoff after the first failure (default 5 s); it doubles on every further failure…</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>…up to this (default 10 min).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After this many failed attempts the message is given up (default 200: more than a day at the cap).</summary>
    public int MaxAttempts { get; set; } = 200;

    public void Validate()
    {
        if (BatchSize is < 1 or > 1000 || Parallelism is < 1 or > 64 || MaxAttempts < 1)
        {
            throw new InvalidOperationException("Notifications:Outbox: BatchSize must be 1–1000, Parallelism 1–64, MaxAttempts at least 1.");
        }

        if (PollInterval <= TimeSpan.Zero || Lease <= TimeSpan.Zero || FirstBackoff <= TimeSpan.Zero || MaxBackoff < FirstBackoff)
        {
            throw new InvalidOperationException("Notifications:Outbox: PollInterval, Lease and FirstBackoff must be positive and MaxBackoff at least FirstBackoff.");
        }
    }

    /// <summary>The wait before attempt number <paramref name="failedAttempts"/> + 1: exponential, capped.</summary>
    public TimeSpan BackoffAfter(int failedAttempts)
    {
        var exponent = Math.Clamp(failedAttempts - 1, 0, 30);
        var ticks = Math.Min(FirstBackoff.Ticks * (double)(1L << exponent), MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary><c>Notifications:Smtp</c>: the mail server e-mail notices go through. No host: e-mail waits in the outbox.</summary>
public sealed class SmtpOptions
{
    /// <summary>Host name of the SMTP server; empty (the default) means e-mail is not configured.</summary>
    public string Host { get; set; } = string.Empty;

    public int Port { get; set; } = 25;

    /// <summary>The sender, e.g. <c>"MobileJpki &lt;noreply@example.jp&gt;"</c>.</summary>
    public string From { get; set; } = "MobileJpki <noreply@mobilejpki.invalid>";

    /// <summary>Login name; empty means no SMTP authentication.</summary>
    public string UserName { get; set; } = string.Empty;

    public string Password { get; set; } = string.Empty;

    /// <summary>TLS: implicit on port 465, STARTTLS (required) on any other port. Off by default (loopback relays).</summary>
    public bool UseTls { get; set; }

    /// <summary>Connect and send timeout (default 15 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);

    public void Validate()
    {
        if (Port is < 1 or > 65535 || Timeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Notifications:Smtp: Port must be 1–65535 and Timeout positive.");
        }

        if (IsConfigured && !MimeKit.MailboxAddress.TryParse(From, out _))
        {
            throw new InvalidOperationException("Notifications:Smtp:From is not a valid mailbox address.");
        }
    }
}

/// <summary><c>Notifications:WebPush</c>: VAPID identity and request settings.</summary>
public sealed class WebPushOptions
{
    /// <summary>The VAPID contact (RFC 8292 "sub"): a mailto: or https: URI the push service can reach the operator at.</summary>
    public string Subject { get; set; } = "mailto:operator@mobilejpki.invalid";

    /// <summary>The VAPID public key (base64url, uncompressed P-256 point); empty: generated on first start.</summary>
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>The VAPID private key (base64url, 32 bytes); empty: generated on first start under Pki:DataDirectory.</summary>
    public string PrivateKey { get; set; } = string.Empty;

    /// <summary>How long the push service keeps an undelivered message (TTL header; default 1 day).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Lifetime of the VAPID token (RFC 8292 allows at most 24 h; default 12 h).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most subscriptions one phone may register (default 10; the oldest is replaced).</summary>
    public int MaxSubscriptionsPerPhone { get; set; } = 10;

    public void Validate()
    {
        if (!Subject.StartsWith("mailto:", StringComparison.Ordinal) && !Subject.StartsWith("https://", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Notifications:WebPush:Subject must be a mailto: or https: URI (RFC 8292).");
        }

        if (string.IsNullOrEmpty(PublicKey) != string.IsNullOrEmpty(PrivateKey))
        {
            throw new InvalidOperationException("Notifications:WebPush: give both PublicKey and PrivateKey, or neither.");
        }

        if (Ttl < TimeSpan.Zero || TokenLifetime <= TimeSpan.Zero || TokenLifetime > TimeSpan.FromHours(24) || Timeout <= TimeSpan.Zero || MaxSubscriptionsPerPhone < 1)
        {
            throw new InvalidOperationException("Notifications:WebPush: Ttl ≥ 0, 0 < TokenLifetime ≤ 24 h, Timeout > 0, MaxSubscriptionsPerPhone ≥ 1.");
        }
    }
}
