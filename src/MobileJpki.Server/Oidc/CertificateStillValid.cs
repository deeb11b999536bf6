using MobileJpki.Ra;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace MobileJpki.Server.Oidc;

/// <summary>
/// At the token endpoint (code redemption and every refresh), the certificate the person approved with must still be
/// Active and unexpired: a suspension or revocation on the phone ends the relying party's refresh tokens too.
/// </summary>
internal sealed class CertificateStillValid(IRaStore store, TimeProvider time) : IOpenIddictServerHandler<OpenIddictServerEvents.HandleTokenRequestContext>
{
    /// <summary>The private claim with the approving certificate's serial; kept only in codes and refresh tokens (no destination).</summary>
    public const string SerialClaim = "mjpki_serial";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleTokenRequestContext>()
            .UseScopedHandler<CertificateStillValid>()
            .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 1_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.HandleTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Principal?.GetClaim(SerialClaim) is not { } serial)
        {
            return;
        }

        var record = await store.GetCertificateAsync(serial, context.CancellationToken);
        if (!CertificateValidity.IsValid(record, time.GetUtcNow()))
        {
            context.Reject(Errors.InvalidGrant, "The certificate the person approved with is no longer valid (suspended, revoked or expired).");
        }
    }
}
