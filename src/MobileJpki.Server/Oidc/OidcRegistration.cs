using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using MobileJpki.Ra;
using MobileJpki.Storage;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace MobileJpki.Server.Oidc;

/// <summary>Relying-party settings (<c>RelyingParties:*</c>).</summary>
public sealed class RelyingPartyOptions
{
    /// <summary>Bearer key of the relying-party registration API. Empty: open in sandbox mode, closed otherwise.</summary>
    public string AdminKey { get; set; } = string.Empty;
}

/// <summary>
/// The OIDC provider (OpenIddict on the service's database): authorization code flow only, PKCE S256, state and
/// nonce required, private_key_jwt client authentication only, refresh tokens, and the signing API's stores.
/// </summary>
public static class OidcRegistration
{
    /// <summary>Scopes besides openid; the first four release 基本4情報 from the signing certificate.</summary>
    public static readonly string[] Scopes = ["name", "address", "birthdate", "gender", "sign", OpenIddict.Abstractions.OpenIddictConstants.Scopes.OfflineAccess];

    /// <summary>The authentication context class we can attest: a key in the phone's SE unlocked by a PIN or password.</summary>
    public const string Acr = "aal3";

    public static IServiceCollection AddMobileJpkiOidc(this IServiceCollection services, IConfiguration config, string dataDirectory)
    {
        services.Configure<RelyingPartyOptions>(config.GetSection("RelyingParties"));
        services.AddSingleton<IDeviceLinkStore, DeviceLinkStore>();
        services.AddSingleton<ISignTransactionStore, SignTransactionStore>();
        services.AddSingleton<DeviceLinkService>();
        services.AddSingleton<SignTransactionService>();

        // OpenIddict's EF Core stores take a scoped context; ours come from the pooled factory.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<MjpkiDbContext>>().CreateDbContext());
        var keys = OidcKeys.LoadOrCreate(dataDirectory);
        services.AddSingleton(keys);

        services.AddOpenIddict()
            .AddCore(o =>
            {
                o.UseEntityFrameworkCore().UseDbContext<MjpkiDbContext>();

                // Tokens are judged by relying parties' real clocks, so they follow real time, not the sandbox clock.
                o.Configure(c => c.TimeProvider = TimeProvider.System);
            })
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo");
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                o.RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes);
                o.RegisterClaims(Claims.Subject, Claims.Name, Claims.Address, Claims.Birthdate, Claims.Gender, Claims.AuthenticationContextReference);
                o.AddSigningKey(new RsaSecurityKey(keys.Signing) { KeyId = keys.SigningKeyId });
                o.AddEncryptionKey(new RsaSecurityKey(keys.Encryption) { KeyId = keys.EncryptionKeyId });
                o.Configure(s =>
                {
                    s.TimeProvider = TimeProvider.System;

                    // S256 only (no "plain"), and private_key_jwt is the only way a client proves who it is.
                    s.CodeChallengeMethods.Clear();
                    s.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                    s.ClientAuthenticationMethods.Clear();
                    s.ClientAuthenticationMethods.Add(ClientAuthenticationMethods.PrivateKeyJwt);
                });
                o.AddEventHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>(b => b
                    .UseInlineHandler(RequireStateAndNonce)
                    .SetOrder(OpenIddictServerHandlers.Authentication.ValidateAuthorizedParty.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>(b => b
                    .UseInlineHandler(c =>
                    {
                        // Only private_key_jwt is honoured (clients have no secret), so only it is advertised.
                        c.TokenEndpointAuthenticationMethods.Clear();
                        c.TokenEndpointAuthenticationMethods.Add(ClientAuthenticationMethods.PrivateKeyJwt);
                        c.Metadata["acr_values_supported"] = new OpenIddict.Abstractions.OpenIddictParameter([Acr]);
                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(OpenIddictServerHandlers.Discovery.AttachClientAuthenticationMethods.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom));
                o.AddEventHandler(CertificateStillValid.Descriptor);
                o.AddEventHandler(ClientAssertionOnce.Descriptor);
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                o.Configure(v => v.TimeProvider = TimeProvider.System);
            });
        return services;
    }

    /// <summary>Replay and mix-up protection the relying party must use: both are required here, not only recommended.</summary>
    private static ValueTask RequireStateAndNonce(OpenIddictServerEvents.ValidateAuthorizationRequestContext context)
    {
        if (string.IsNullOrEmpty(context.Request.State))
        {
            context.Reject(Errors.InvalidRequest, "The 'state' parameter is required.");
        }
        else if (string.IsNullOrEmpty(context.Request.Nonce))
        {
            context.Reject(Errors.InvalidRequest, "The 'nonce' parameter is required.");
        }

        return ValueTask.CompletedTask;
    }
}
