using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>What one refresher pass did.</summary>
/// <param name="Failed">Responses that could not be signed or saved this pass (tried again next pass).</param>
/// <param name="LastError">The last failure, for the host's log (no secrets in it: exception messages of signing and storage).</param>
public sealed record OcspRefreshResult(int Due, int Signed, int Failed, Exception? LastError);

/// <summary>
/// Signs the shared pre-signed responses ahead of requests (docs/revocation.md, "Pre-signed responses"): for newly
/// issued certificates, for rows marked stale by a status change, and before nextUpdate. Every node runs one; two
/// nodes signing the same certificate at once is harmless (both responses are valid; the last write stays), so no
/// claim is taken. Saved rows go into this node's replica at once; other nodes see them on their next poll.
/// </summary>
public sealed class OcspRefresher
{
    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly IOcspSigners _signers;
    private readonly IOcspResponseStore _store;
    private readonly OcspReplica _replica;
    private readonly TimeProvider _time;
    private readonly TimeProvider _wallClock;
    private readonly RevocationOptions _options;
    private DateTimeOffset? _lastFullPass;
    private DateTimeOffset? _lastPass;

    public OcspRefresher(IEnumerable<RevocationIssuer> issuers, IOcspSigners signers, IOcspResponseStore store, OcspReplica replica, TimeProvider time, TimeProvider wallClock, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _signers = signers;
        _store = store;
        _replica = replica;
        _time = time;
        _wallClock = wallClock;
        _options = options;
    }

    /// <summary>One pass: find what is due, sign and save it. Store failures propagate (the host retries); signing failures are counted.</summary>
    public async Task<OcspRefreshResult> RunOnceAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var wall = _wallClock.GetUtcNow();

        // Most passes look only at certificates changed lately (by the service clock, with a wide margin); every
        // OcspReconcileInterval, and whenever the clock went back, at all of them.
        var full = _lastFullPass is not { } f || wall - f >= _options.OcspReconcileInterval || _lastPass is not { } lp || now < lp;
        var changedSince = full ? (DateTimeOffset?)null : _lastPass!.Value - TimeSpan.FromMinutes(10);
        var refreshBefore = now + (_options.OcspValidity - _options.OcspRefreshAfter);
        var due = await _store.FindDueAsync(new OcspDueQuery(now, refreshBefore, changedSince, _options.OcspRefreshBatch), ct);
        if (full)
        {
            _lastFullPass = wall;
        }

        _lastPass = now;
        var signed = 0;
        var failed = 0;
        Exception? lastError = null;
        foreach (var item in due)
        {
            ct.ThrowIfCancellationRequested();
            StoredOcspResponse response;
            try
            {
                response = Sign(item, _time.GetUtcNow());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Signing is failing (no valid responder and the CA key unavailable): what is held keeps being
                // served until its nextUpdate; try again next pass.
                failed++;
                lastError = e;
                continue;
            }

            await _store.SaveAsync(response, ct);
            _replica.Apply(response);
            signed++;
        }

        return new OcspRefreshResult(due.Count, signed, failed, lastError);
    }

    /// <summary>The response for one certificate, with the SHA-1 CertID RFC 5019 clients send.</summary>
    internal StoredOcspResponse Sign(OcspDue item, DateTimeOffset now)
    {
        var issuer = _issuers[item.Hierarchy];
        var signer = _signers.For(item.Hierarchy);
        var thisUpdate = Der.ToSeconds(now);
        var nextUpdate = thisUpdate + _options.OcspValidity;
        var certId = OcspResponseWriter.Sha1CertId(issuer, item.SerialHex);
        var der = OcspResponseWriter.Successful(signer, [new SingleAnswer(certId, item.Status, thisUpdate, nextUpdate)], null, thisUpdate);
        return new StoredOcspResponse(item.Hierarchy, item.SerialHex, der, StatusOf(item.Status), thisUpdate, nextUpdate, _wallClock.GetUtcNow());
    }

    public static OcspCertStatus StatusOf(CertificateStatusInfo? status) => status switch
    {
        null => OcspCertStatus.Unknown,
        { Revoked: false } => OcspCertStatus.Good,
        { Reason: RevocationReasons.Hold } => OcspCertStatus.OnHold,
        _ => OcspCertStatus.Revoked,
    };
}
