namespace MobileJpki.Revocation;

/// <summary>OCSP and CRL timing and limits (configuration section <c>Revocation</c>).</summary>
public sealed class RevocationOptions
{
    /// <summary>OCSP nextUpdate − thisUpdate. Default 1 day (RFC 5019 clients and caches keep a response until then).</summary>
    public TimeSpan OcspValidity { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The refresher signs a pre-signed response again once it is this old (nextUpdate − now ≤ OcspValidity − this). Default 12 hours.</summary>
    public TimeSpan OcspRefreshAfter { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often each node's refresher looks for work and its replica reads new rows. Default 500 ms (the staleness bound, docs/revocation.md).</summary>
    public TimeSpan OcspPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Each poll re-reads rows this much older than the newest seen (late commits, clock skew between nodes). Default 5 s.</summary>
    public TimeSpan OcspReplicaOverlap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows read per query by the replica. Default 5,000.</summary>
    public int OcspPollBatch { get; set; } = 5_000;

    /// <summary>Responses signed per refresher pass at most. Default 1,000.</summary>
    public int OcspRefreshBatch { get; set; } = 1_000;

    /// <summary>Every this often the refresher compares every row with its certificate (a safety net for races). Default 5 minutes.</summary>
    public TimeSpan OcspReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A response whose thisUpdate is up to this far in the future is still served (node clocks differ a little). Default 1 minute.</summary>
    public TimeSpan OcspClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests not answerable from memory (nonce, several CertIDs, SHA-256, unknown serial) signed at once at most; more wait, then get tryLater. Default 4.</summary>
    public int OcspMaxLiveSignings { get; set; } = 4;

    /// <summary>Validity of the delegated responder certificate. Default 30 days.</summary>
    public TimeSpan ResponderValidity { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The responder certificate is renewed this long before it expires. Default 7 days.</summary>
    public TimeSpan ResponderRenewBefore { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest partition number served at <c>/crl/{h}/{n}.crl</c> is this minus one (Pki:CrlPartitions chooses how many are used). Default 1,024.</summary>
    public int MaxCrlPartitions { get; set; } = 1024;

    /// <summary>
    /// Echo a request's nonce (RFC 6960 §4.4.1). A response with a nonce is signed for that request alone (bounded by
    /// OcspMaxLiveSignings); false ignores nonces as RFC 5019 §2.1 allows, so every single-certificate answer comes
    /// from memory. Default true.
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

        if (OcspPollInterval <= TimeSpan.Zero || OcspReplicaOverlap < TimeSpan.Zero || OcspPollBatch < 1 || OcspRefreshBatch < 1 || OcspMaxLiveSignings < 1
            || OcspReconcileInterval <= TimeSpan.Zero || OcspClockSkew < TimeSpan.Zero)
        {
            throw new InvalidOperationException("Revocation: OCSP poll and refresh settings must be positive.");
        }

        if (ResponderValidity <= TimeSpan.Zero || ResponderRenewBefore <= TimeSpan.Zero || ResponderRenewBefore >= ResponderValidity)
        {
            throw new InvalidOperationException("Revocation: ResponderValidity must be positive and ResponderRenewBefore in (0, ResponderValidity).");
        }

        if (MaxCrlPartitions is < 1 or > 65_536)
        {
            throw new InvalidOperationException("Revocation: MaxCrlPartitions must be between 1 and 65536.");
        }
    }
}
