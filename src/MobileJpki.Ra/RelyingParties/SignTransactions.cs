using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;

namespace MobileJpki.Ra;

/// <summary>
/// The signing API (like the sign-transactions API of the Digital Agency's app): a relying party asks for a signature
/// over a SHA-256 digest with a description, the person approves on the phone with the signing password, and only the
/// relying party that asked may fetch the result.
/// </summary>
public sealed class SignTransactionService(ISignTransactionStore transactions, DeviceLinkService links, TimeProvider time)
{
    /// <summary>The longest description shown to the person.</summary>
    public const int MaxDescriptionLength = 200;

    public async Task<(SignTransactionRecord Transaction, DeviceLinkRecord Link)> CreateAsync(string clientId, string clientName, Guid? personId, SignTransactionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var digest = Base64Field.Decode(request.Digest, "digest", 32);
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw MjpkiException.BadRequest("bad-digest", "'digest' must be a SHA-256 digest (32 bytes, base64).");
        }

        var description = (request.Description ?? string.Empty).Trim();
        if (description.Length is 0 or > MaxDescriptionLength || description.Any(char.IsControl))
        {
            throw MjpkiException.BadRequest("bad-description", $"'description' must be 1–{MaxDescriptionLength} characters without control characters.");
        }

        var id = Guid.NewGuid();
        var linkId = Guid.NewGuid();
        var now = time.GetUtcNow();
        var tx = new SignTransactionRecord(id, clientId, personId, digest, description, SignTransactionStatus.Pending, linkId, null, null, null, now, now + DeviceLinkService.Lifetime, null);
        await transactions.AddAsync(tx, ct);
        var link = await links.CreateAsync(
            DeviceLinkService.SignTransaction,
            new DeviceLinkRequest { ClientId = clientId, ClientName = clientName, Scopes = ["sign"], Key = "sign", TransactionId = id, SigningTime = now },
            linkId,
            ct);
        return (tx, link);
    }

    /// <summary>The transaction for the relying party that made it; any other client gets the same "not found" as for an unknown id.</summary>
    public async Task<SignTransactionView> GetAsync(Guid id, string clientId, CancellationToken ct)
    {
        var tx = await transactions.GetAsync(id, ct);
        if (tx is null || !string.Equals(tx.ClientId, clientId, StringComparison.Ordinal))
        {
            throw MjpkiException.NotFound("sign-transaction-not-found", "No signing transaction of this client has this id.");
        }

        var status = tx.Status == SignTransactionStatus.Pending && time.GetUtcNow() >= tx.ExpiresAt ? SignTransactionStatus.Expired : tx.Status;
        return new SignTransactionView(
            tx.Id,
            status.ToString().ToLowerInvariant(),
            tx.Cms is null ? null : Convert.ToBase64String(tx.Cms),
            tx.Signature is null ? null : Convert.ToBase64String(tx.Signature),
            tx.Certificate is null ? null : Convert.ToBase64String(tx.Certificate),
            tx.SignedAt);
    }
}

/// <summary>
/// The claims a relying party gets: a pairwise subject (HMAC of the client and the person under a server key, so two
/// relying parties cannot join their users and the person id is never shown), and 基本4情報 read from the signing
/// certificate's subjectAltName, only for the scopes asked.
/// </summary>
public static class PersonClaims
{
    public static string PairwiseSubject(byte[] key, string clientId, Guid personId)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(clientId + "\n" + personId.ToString("N")));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>(claim type, value, is JSON) for each 基本4情報 scope asked; empty when the certificate carries none.</summary>
    public static IReadOnlyList<(string Type, string Value, bool Json)> Basic4(byte[] signingCertificateDer, IEnumerable<string> scopes)
    {
        using var cert = X509CertificateLoader.LoadCertificate(signingCertificateDer);
        if (!Basic4InfoCodec.TryRead(cert, out var info) || info is null)
        {
            return [];
        }

        var result = new List<(string, string, bool)>();
        foreach (var scope in scopes.Distinct(StringComparer.Ordinal))
        {
            switch (scope)
            {
                case "name":
                    result.Add(("name", info.Name, false));
                    break;
                case "address":
                    result.Add(("address", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["formatted"] = info.Address }), true));
                    break;
                case "birthdate":
                    result.Add(("birthdate", info.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), false));
                    break;
                case "gender":
                    result.Add(("gender", Genders.WireName(info.Gender), false));
                    break;
                default:
                    break;
            }
        }

        return result;
    }
}
