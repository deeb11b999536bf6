namespace MobileJpki.Revocation;

/// <summary>OCSP and CRL timing and limits (configuration section <c>Revocation</c>).</summary>
public sealed class RevocationOptions
{
    /// <summary>OCSP nextUpdate − thisUpdate. Default 1 day (RFC 5019 clients and caches keep a response until then).</summary>
    public TimeSpan OcspValidity { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A pre-signed response older than this is signed again on its next request. Default 12 hours (half the validity).</summary>
    public TimeSpan OcspRefreshAfter { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Pre-signed single-certificate responses kept in memory. Default 100,000 (about 2 KB each).</summary>
    public int OcspCacheCapacity { get; set; } = 100_000;

    /// <summary>
    /// Echo a request's nonce (RFC 6960 §4.4.1). A response with a nonce is signed for that request alone and never
    /// cached; false ignores nonces as RFC 5019 §2.1 allows, so every single-certificate answer comes from the cache.
    /// Default true.
    /// </summary>
    public bool EchoNonce { get; set; } = true;

    /// <summary>CRL nextUpdate − thisUpdate. Default 1 day.</summary>
    public TimeSpan CrlValidity { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A CRL older than this is rebuilt on its next request (so revocations not signalled by Invalidate show). Default 5 minutes.</summary>
    public TimeSpan CrlRefreshAfter { get; set; } = TimeSpan.FromMinutes(5);

    public void Validate()
    {
        if (OcspValidity <= TimeSpan.Zero || OcspRefreshAfter <= TimeSpan.Zero || OcspRefreshAfter > OcspValidity)
        {
            throw new InvalidOperationException("Revocation: OcspValidity must be positive and OcspRefreshAfter in (0, OcspValidity].");
        }

        if (CrlValidity <= TimeSpan.Zero || CrlRefreshAfter <= TimeSpan.Zero || CrlRefreshAfter > CrlValidity)
        {
            throw new InvalidOperationException("Revocation: CrlValidity must be positive and CrlRefreshAfter in (0, CrlValidity].");
        }

        if (OcspCacheCapacity < 1)
        {
            throw new InvalidOperationException("Revocation: OcspCacheCapacity must be at least 1.");
        }
    }
}
