using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Storage;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace MobileJpki.Server.Oidc;

/// <summary>
/// A private_key_jwt client assertion is good for one request (RFC 7523 §3, OIDC Core §9: "MUST only be used once"):
/// OpenIddict checks its signature, issuer, audience and lifetime but keeps no record of its <c>jti</c>, so whoever
/// captured an assertion could spend it again until it expires. Once the assertion has passed those checks, its
/// client and <c>jti</c> are recorded as a token entry whose reference id is unique in the database all nodes share;
/// a second request with them is refused (<c>invalid_client</c>) before any code or refresh token is looked at.
/// </summary>
internal sealed class ClientAssertionOnce(IOpenIddictTokenManager tokens, TimeProvider time) : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessAuthenticationContext>
{
    /// <summary>The token type of the entries (they are never handed out, only looked up by their reference id).</summary>
    public const string EntryType = "mjpki_client_assertion";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessAuthenticationContext>()
            .UseScopedHandler<ClientAssertionOnce>()
            // Last: a handler runs only while nothing was rejected, so the jti is spent only by a request that passed every
            // check of the client and of its code or refresh token (the code itself is redeemed later, at sign-in).
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.ClientAssertionPrincipal is not { } assertion)
        {
            return;
        }

        if (assertion.GetClaim(Claims.JwtId) is not { Length: > 0 and <= 256 } jti)
        {
            context.Reject(Errors.InvalidClient, "The client assertion must carry a 'jti' (OpenID Connect Core §9).");
            return;
        }

        var now = time.GetUtcNow();
        var reference = "jti:" + System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($"{context.ClientId}\n{jti}")));
        var descriptor = new OpenIddictTokenDescriptor
        {
            ReferenceId = reference,
            Type = EntryType,
            Status = Statuses.Redeemed,
            CreationDate = now,
            RedemptionDate = now,

            // Kept as long as the assertion could be presented (OpenIddict allows no skew past its expiry).
            ExpirationDate = assertion.GetExpirationDate() ?? now.AddHours(1),
        };
        try
        {
            await tokens.CreateAsync(descriptor, context.CancellationToken);
        }
        catch (Exception e) when (e is OpenIddictExceptions.ValidationException || (e is DbUpdateException update && MjpkiDatabase.IsUniqueViolation(update)))
        {
            context.Reject(Errors.InvalidClient, "This client assertion was used before; each one is good for one request.");
        }
    }
}
