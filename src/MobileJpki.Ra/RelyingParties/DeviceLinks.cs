using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra;

/// <summary>
/// What a device link asks the person to approve, kept as JSON in the link: the relying party, the scopes and, for an
/// OIDC login, the authorization request's parameters that its continuation must repeat exactly.
/// </summary>
public sealed record DeviceLinkRequest
{
    [JsonPropertyName("clientId")]
    public required string ClientId { get; init; }

    [JsonPropertyName("clientName")]
    public required string ClientName { get; init; }

    [JsonPropertyName("scopes")]
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>"auth" (the 4-digit PIN) or "sign" (the signing password).</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    [JsonPropertyName("redirectUri")]
    public string? RedirectUri { get; init; }

    [JsonPropertyName("nonce")]
    public string? Nonce { get; init; }

    [JsonPropertyName("codeChallenge")]
    public string? CodeChallenge { get; init; }

    [JsonPropertyName("acr")]
    public string? Acr { get; init; }

    [JsonPropertyName("transactionId")]
    public Guid? TransactionId { get; init; }

    [JsonPropertyName("signingTime")]
    public DateTimeOffset? SigningTime { get; init; }
}

/// <summary>
/// Device links: the short code a page shows (and its QR) that the person answers on the phone with a JPKI signature
/// over <see cref="DeviceLinkMessage"/>. One answer per link, within its lifetime; an approved OIDC link is consumed once.
/// </summary>
public sealed class DeviceLinkService(
    IDeviceLinkStore links,
    ISignTransactionStore transactions,
    CertificateAuthenticator authenticator,
    IUsageLog usage,
    TimeProvider time)
{
    /// <summary>Purposes of the links this service makes.</summary>
    public const string OidcLogin = "oidc-login";

    public const string SignTransaction = "sign-transaction";

    /// <summary>How long a person has to answer.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>Scopes that release 基本4情報, read from the signing certificate: approving them takes the signing key.</summary>
    public static readonly IReadOnlySet<string> Basic4Scopes = new HashSet<string>(StringComparer.Ordinal) { "name", "address", "birthdate", "gender" };

    // No 0/O, 1/I/L: a code read aloud or typed is unambiguous (31 symbols, 8 of them: about 39 bits, for 5 minutes).
    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    private const int CodeLength = 8;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DeviceLinkRecord> CreateAsync(string purpose, DeviceLinkRequest request, Guid? id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var link = new DeviceLinkRecord(
            id ?? Guid.NewGuid(),
            NewCode(),
            purpose,
            JsonSerializer.Serialize(request, Json),
            DeviceLinkStatus.Pending,
            null,
            null,
            null,
            now,
            now + Lifetime,
            null);
        await links.AddAsync(link, ct);
        return link;
    }

    public static DeviceLinkRequest RequestOf(DeviceLinkRecord link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return JsonSerializer.Deserialize<DeviceLinkRequest>(link.RequestJson, Json) ?? throw new InvalidDataException("Unreadable device link.");
    }

    /// <summary>"XXXX-XXXX" for display; codes are stored and compared without the hyphen, upper case.</summary>
    public static string Display(string code) => code.Length == CodeLength ? $"{code[..4]}-{code[4..]}" : code;

    /// <summary>The link as the phone shows it (before the person decides).</summary>
    public async Task<(DeviceLinkRecord Link, DeviceLinkView View)> ViewAsync(string code, string origin, CancellationToken ct)
    {
        var link = await PendingAsync(code, ct);
        var request = RequestOf(link);
        string? digest = null;
        string? description = null;
        if (request.TransactionId is { } txId && await transactions.GetAsync(txId, ct) is { } tx)
        {
            digest = Convert.ToBase64String(tx.Digest);
            description = tx.Description;
        }

        return (link, new DeviceLinkView(Display(link.Code), link.Purpose, request.ClientId, request.ClientName, request.Scopes, request.Key, origin, link.ExpiresAt, description, digest, request.SigningTime));
    }

    /// <summary>
    /// The phone's answer: the signature over the documented message by a certificate of the kind the link needs
    /// (CertificateAuthenticator: ours, Active, unexpired); for a signing transaction also the CMS and raw signatures.
    /// </summary>
    public async Task<DeviceLinkOutcome> DecideAsync(string code, string origin, DeviceLinkDecision decision, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Decision is not (DeviceLinkMessage.Approve or DeviceLinkMessage.Refuse))
        {
            throw MjpkiException.BadRequest("bad-field", "'decision' must be approve or refuse.");
        }

        var link = await PendingAsync(code, ct);
        var request = RequestOf(link);
        var certificate = Base64Field.Decode(decision.Certificate, "certificate", 8192);
        var signature = Base64Field.Decode(decision.Signature, "signature", 1024);
        SignTransactionRecord? tx = null;
        if (request.TransactionId is { } txId)
        {
            tx = await transactions.GetAsync(txId, ct) ?? throw Unknown();
        }

        var kind = request.Key == "sign" ? CertificateKind.PhoneSigning : CertificateKind.PhoneAuth;
        var message = DeviceLinkMessage.SignedBytes(origin, Display(link.Code), link.Purpose, request.ClientId, request.Scopes, tx?.Digest, decision.Decision);
        var who = await authenticator.VerifyAsync(certificate, message, signature, [kind], ct);

        if (decision.Decision == DeviceLinkMessage.Refuse)
        {
            if (!await links.TryDecideAsync(link.Id, DeviceLinkStatus.Refused, who.PersonId, who.Serial, null, time.GetUtcNow(), ct))
            {
                throw Used();
            }

            if (tx is not null)
            {
                await transactions.TryRefuseAsync(tx.Id, ct);
            }

            return new DeviceLinkOutcome("refused", "お断りしました / Refused: the service is told you declined.");
        }

        if (tx is not null)
        {
            await SignAsync(tx, request, who, decision, ct);
        }

        var result = JsonSerializer.Serialize(new { kind = who.Kind.ToString(), acr = request.Acr }, Json);
        if (!await links.TryDecideAsync(link.Id, DeviceLinkStatus.Approved, who.PersonId, who.Serial, result, time.GetUtcNow(), ct))
        {
            throw Used();
        }

        await usage.RecordAsync(
            new UsageRecord(0, who.PersonId, time.GetUtcNow(), tx is null ? UsageKinds.OidcLogin : UsageKinds.OidcSign, who.Serial, Bounded(request.ClientName, 100), tx is null ? Bounded(string.Join(' ', request.Scopes), 200) : Bounded(tx.Description, 200)),
            ct);
        return new DeviceLinkOutcome("approved", tx is null
            ? $"{request.ClientName} へのログインを承認しました / You approved the login to {request.ClientName}."
            : $"{request.ClientName} の署名を作成しました / You signed for {request.ClientName}.");
    }

    /// <summary>The page's view of its link ("pending", "approved", …), waiting up to <paramref name="wait"/> for a change.</summary>
    public async Task<string> StatusAsync(Guid id, TimeSpan wait, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var link = await links.GetAsync(id, ct) ?? throw Unknown();
            var status = EffectiveStatus(link, time.GetUtcNow());
            if (status != DeviceLinkStatus.Pending || time.GetUtcNow() >= deadline)
            {
                return status.ToString().ToLowerInvariant();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    public DeviceLinkStatus EffectiveStatus(DeviceLinkRecord link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return EffectiveStatus(link, time.GetUtcNow());
    }

    public Task<DeviceLinkRecord?> GetAsync(Guid id, CancellationToken ct) => links.GetAsync(id, ct);

    public Task<bool> TryConsumeAsync(Guid id, CancellationToken ct) => links.TryConsumeAsync(id, time.GetUtcNow(), ct);

    public static MjpkiException Unknown() =>
        MjpkiException.NotFound("device-link-unknown", "このコードは見つかりません / No request has this code.");

    private static DeviceLinkStatus EffectiveStatus(DeviceLinkRecord link, DateTimeOffset now) =>
        link.Status == DeviceLinkStatus.Pending && now >= link.ExpiresAt ? DeviceLinkStatus.Expired : link.Status;

    private async Task SignAsync(SignTransactionRecord tx, DeviceLinkRequest request, AuthenticatedCertificate who, DeviceLinkDecision decision, CancellationToken ct)
    {
        if (tx.PersonId is { } bound && bound != who.PersonId)
        {
            throw MjpkiException.Forbidden("sign-transaction-wrong-person", "この署名依頼は別の方に宛てたものです / This signing request is for someone else.");
        }

        var cmsSignature = Base64Field.Decode(decision.CmsSignature, "cmsSignature", 1024);
        var rawSignature = Base64Field.Decode(decision.RawSignature, "rawSignature", 1024);
        var signingTime = request.SigningTime ?? throw new InvalidDataException("A signing link without a signing time.");
        var attributes = CadesDetached.SignedAttributes(tx.Digest, who.Der, signingTime);
        using (var cert = X509CertificateLoader.LoadCertificate(who.Der))
        using (var key = cert.GetRSAPublicKey())
        {
            if (key is null
                || !key.VerifyData(attributes, cmsSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                || !key.VerifyHash(tx.Digest, rawSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                throw new MjpkiException(ErrorKind.Unauthorized, "signature-not-accepted", "署名または電子証明書を確認できませんでした / The signature or the certificate was not accepted.");
            }
        }

        var cms = CadesDetached.SignedData(tx.Digest, who.Der, signingTime, cmsSignature);
        if (!await transactions.TrySignAsync(tx.Id, who.PersonId, cms, rawSignature, who.Der, time.GetUtcNow(), ct))
        {
            throw Used();
        }
    }

    private async Task<DeviceLinkRecord> PendingAsync(string code, CancellationToken ct)
    {
        var normalized = Normalize(code);
        var now = time.GetUtcNow();
        var link = normalized is null ? null : await links.FindByCodeAsync(normalized, now - Lifetime - Lifetime, ct);
        if (link is null)
        {
            throw Unknown();
        }

        return EffectiveStatus(link, now) switch
        {
            DeviceLinkStatus.Pending => link,
            DeviceLinkStatus.Expired => throw MjpkiException.Conflict("device-link-expired", "このコードは有効期限が切れています。もう一度やり直してください / This code has expired; start again."),
            _ => throw Used(),
        };
    }

    private static string? Normalize(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 16)
        {
            return null;
        }

        var cleaned = code.Replace("-", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        return cleaned.Length == CodeLength && cleaned.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? cleaned : null;
    }

    private static MjpkiException Used() =>
        MjpkiException.Conflict("device-link-used", "このコードは既に使われています / This code has already been answered.");

    private static string NewCode() => string.Create(CodeLength, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
    });

    private static string Bounded(string value, int max) => value.Length <= max ? value : value[..max];
}
