using System.Collections.Concurrent;
using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>What the responder answers: the DER OCSPResponse, its status, and (when successful) the earliest nextUpdate.</summary>
public sealed record OcspResult(byte[] Der, OcspResponseStatus Status, DateTimeOffset? NextUpdate);

/// <summary>
/// The OCSP responder (RFC 6960, RFC 5019 profile; docs/revocation.md). Pipeline: Parse (malformedRequest) → Authorize
/// (each CertID must name this hierarchy's CA: unauthorized) → Look up (tryLater when the store fails) → Answer from the
/// pre-signed cache or Sign.
/// </summary>
/// <remarks>
/// Pre-signed responses: a single-CertID request without a nonce is answered from a cache keyed by (hierarchy,
/// serial) that holds the signed response with the status it was signed for. The status is read on every request
/// (one primary-key lookup, no RSA), so a revocation that never called <see cref="Invalidate"/> still shows at once;
/// a response is signed again when its status changed, when it is older than OcspRefreshAfter, or when a client
/// sent another encoding of the CertID. Responses with a nonce or several CertIDs are signed per request.
/// </remarks>
public sealed class OcspResponder
{
    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly IRevocationStatusReader _reader;
    private readonly TimeProvider _time;
    private readonly RevocationOptions _options;
    private readonly ConcurrentDictionary<(Hierarchy, string), PreSigned> _cache = new();

    public OcspResponder(IEnumerable<RevocationIssuer> issuers, IRevocationStatusReader reader, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _reader = reader;
        _time = time;
        _options = options;
    }

    /// <summary>Pre-signed responses held now.</summary>
    public int CachedCount => _cache.Count;

    /// <summary>Drops the pre-signed response for a certificate whose status changed.</summary>
    public void Invalidate(Hierarchy hierarchy, string serialHex) => _cache.TryRemove((hierarchy, serialHex), out _);

    /// <summary>Answers a DER OCSPRequest sent to <c>/ocsp/{hierarchy}</c>. Never throws for bad input.</summary>
    public async Task<OcspResult> RespondAsync(Hierarchy hierarchy, ReadOnlyMemory<byte> requestDer, CancellationToken ct)
    {
        var (result, preSigned) = await AnswerAsync(hierarchy, requestDer, ct);
        RevocationTelemetry.OcspAnswered(hierarchy, result.Status, preSigned);
        return result;
    }

    private async Task<(OcspResult Result, bool PreSigned)> AnswerAsync(Hierarchy hierarchy, ReadOnlyMemory<byte> requestDer, CancellationToken ct)
    {
        // Step 1: parse, within bounds.
        var request = OcspRequestParser.TryParse(requestDer);
        if (request is null)
        {
            return (Fail(OcspResponseStatus.MalformedRequest), false);
        }

        // Step 2: authorize: we answer only for the CA behind this URL, and it signs the answer.
        if (!_issuers.TryGetValue(hierarchy, out var issuer) || !request.CertIds.All(id => Names(issuer, id)))
        {
            return (Fail(OcspResponseStatus.Unauthorized), false);
        }

        // Step 3: look up every status (unknown for serials we cannot have issued).
        var statuses = new CertificateStatusInfo?[request.CertIds.Count];
        try
        {
            for (var i = 0; i < statuses.Length; i++)
            {
                var serial = request.CertIds[i].SerialHex;
                statuses[i] = serial is null ? null : await _reader.GetAsync(hierarchy, serial, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (Fail(OcspResponseStatus.TryLater), false);
        }

        var nonce = _options.EchoNonce ? request.NonceExtension : null;
        var now = _time.GetUtcNow();

        // Step 4: the common case, one certificate and no nonce, from the pre-signed cache.
        if (request.CertIds is [{ SerialHex: { } cachedSerial } only] && nonce is null)
        {
            var key = (hierarchy, cachedSerial);
            if (_cache.TryGetValue(key, out var hit) && hit.Serves(only, statuses[0], now, _options.OcspRefreshAfter))
            {
                return (hit.Result, true);
            }

            var preSigned = new PreSigned(only.Encoded.ToArray(), statuses[0], Der.ToSeconds(now), Sign(issuer, request.CertIds, statuses, null, now));
            Store(key, preSigned);
            return (preSigned.Result, false);
        }

        // Step 5: anything else is signed for this request alone.
        return (Sign(issuer, request.CertIds, statuses, nonce, now), false);
    }

    private static bool Names(RevocationIssuer issuer, OcspCertId id) => id.Algorithm switch
    {
        OcspHashAlgorithm.Sha1 => id.IssuerNameHash.Span.SequenceEqual(issuer.NameHashSha1) && id.IssuerKeyHash.Span.SequenceEqual(issuer.KeyHashSha1),
        OcspHashAlgorithm.Sha256 => id.IssuerNameHash.Span.SequenceEqual(issuer.NameHashSha256) && id.IssuerKeyHash.Span.SequenceEqual(issuer.KeyHashSha256),
        _ => false,
    };

    private static OcspResult Fail(OcspResponseStatus status) => new(OcspResponseWriter.Error(status), status, null);

    private OcspResult Sign(RevocationIssuer issuer, IReadOnlyList<OcspCertId> ids, CertificateStatusInfo?[] statuses, ReadOnlyMemory<byte>? nonce, DateTimeOffset now)
    {
        var thisUpdate = Der.ToSeconds(now);
        var nextUpdate = thisUpdate + _options.OcspValidity;
        var answers = new SingleAnswer[ids.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = new SingleAnswer(ids[i].Encoded, statuses[i], thisUpdate, nextUpdate);
        }

        return new OcspResult(OcspResponseWriter.Successful(issuer, answers, nonce, thisUpdate), OcspResponseStatus.Successful, nextUpdate);
    }

    private void Store((Hierarchy, string) key, PreSigned value)
    {
        if (_cache.Count >= _options.OcspCacheCapacity && !_cache.ContainsKey(key))
        {
            // Full: drop about a tenth, arbitrary ones (cheap, and no bookkeeping on the hit path).
            var toDrop = Math.Max(1, _options.OcspCacheCapacity / 10);
            foreach (var old in _cache.Keys)
            {
                if (toDrop-- <= 0)
                {
                    break;
                }

                _cache.TryRemove(old, out _);
            }
        }

        _cache[key] = value;
    }

    /// <summary>A signed single-certificate response, what it was signed for, and when (its thisUpdate).</summary>
    private sealed record PreSigned(byte[] CertId, CertificateStatusInfo? Status, DateTimeOffset SignedAt, OcspResult Result)
    {
        /// <summary>
        /// True while the status is the one signed, the CertID the same bytes, and the response younger than
        /// <paramref name="refreshAfter"/> (and not from the future: the sandbox clock can be set back).
        /// </summary>
        public bool Serves(OcspCertId id, CertificateStatusInfo? status, DateTimeOffset now, TimeSpan refreshAfter) =>
            Equals(Status, status)
            && id.Encoded.Span.SequenceEqual(CertId)
            && now >= SignedAt
            && now - SignedAt < refreshAfter;
    }
}
