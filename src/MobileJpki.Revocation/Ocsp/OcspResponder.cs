using MobileJpki.Core;

namespace MobileJpki.Revocation.Ocsp;

/// <summary>What the responder answers: the DER OCSPResponse, its status, the earliest nextUpdate (when successful), and the pre-signed entry it came from, if any.</summary>
public sealed record OcspResult(byte[] Der, OcspResponseStatus Status, DateTimeOffset? NextUpdate, OcspReplicaEntry? PreSigned = null);

/// <summary>
/// The OCSP responder (RFC 6960, RFC 5019 profile; docs/revocation.md). The common request (one SHA-1 CertID, no
/// nonce, a certificate we issued) is answered from this node's <see cref="OcspReplica"/>: no database, no RSA, no
/// allocation (<see cref="TryAnswerFromMemory"/>). Anything else goes through Parse (malformedRequest) → Authorize
/// (unauthorized) → Look up (tryLater when the store fails) → Sign with the delegated responder, at most
/// OcspMaxLiveSignings at a time.
/// </summary>
public sealed class OcspResponder
{
    private static readonly TimeSpan LiveWait = TimeSpan.FromSeconds(2);

    private readonly Dictionary<Hierarchy, RevocationIssuer> _issuers;
    private readonly byte[]?[] _sha1Prefixes;
    private readonly IOcspSigners _signers;
    private readonly OcspReplica _replica;
    private readonly IRevocationStatusReader _reader;
    private readonly TimeProvider _time;
    private readonly RevocationOptions _options;
    private readonly SemaphoreSlim _live;

    public OcspResponder(IEnumerable<RevocationIssuer> issuers, IOcspSigners signers, OcspReplica replica, IRevocationStatusReader reader, TimeProvider time, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _issuers = issuers.ToDictionary(i => i.Hierarchy);
        _sha1Prefixes = new byte[]?[Enum.GetValues<Hierarchy>().Max(h => (int)h) + 1];
        foreach (var issuer in _issuers.Values)
        {
            _sha1Prefixes[(int)issuer.Hierarchy] = [.. Sha1AlgorithmAndHashes, .. issuer.NameHashSha1, 0x04, 0x14, .. issuer.KeyHashSha1];
        }

        _signers = signers;
        _replica = replica;
        _reader = reader;
        _time = time;
        _options = options;
        _live = new SemaphoreSlim(options.OcspMaxLiveSignings, options.OcspMaxLiveSignings);
    }

    /// <summary>AlgorithmIdentifier { sha1, NULL } and the issuerNameHash OCTET STRING header; the name hash follows.</summary>
    private static ReadOnlySpan<byte> Sha1AlgorithmAndHashes => [0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14];

    /// <summary>
    /// The hot path: a single-CertID request without extensions or signature, naming this hierarchy's CA by SHA-1,
    /// whose certificate has a valid pre-signed response in memory. False for anything else (then call
    /// <see cref="RespondAsync"/>). Reads only the request bytes and the replica.
    /// </summary>
    public bool TryAnswerFromMemory(Hierarchy hierarchy, ReadOnlySpan<byte> request, out OcspReplicaEntry entry)
    {
        entry = null!;
        if ((uint)hierarchy >= (uint)_sha1Prefixes.Length || _sha1Prefixes[(int)hierarchy] is not { } prefix)
        {
            return false;
        }

        // OCSPRequest { TBSRequest { requestList { Request { CertID } } } }, each spanning all of its parent: no
        // signature, version, requestor name, request or single extensions.
        if (!Enter(ref request) || !Enter(ref request) || !Enter(ref request) || !Enter(ref request))
        {
            return false;
        }

        var certId = request;
        if (!Enter(ref request) || !request.StartsWith(prefix))
        {
            return false;
        }

        var integer = request[prefix.Length..];
        if (integer.Length < 3 || integer[0] != 0x02 || integer[1] != integer.Length - 2 || integer.Length - 2 > 21)
        {
            return false;
        }

        var serial = integer[2..];
        if ((serial[0] & 0x80) != 0)
        {
            return false;
        }

        if (serial[0] == 0 && serial.Length > 1)
        {
            serial = serial[1..];
        }

        Span<char> hex = stackalloc char[42];
        if (!Convert.TryToHexStringLower(serial, hex, out var written)
            || !_replica.TryGet(hierarchy, hex[..written], _time.GetUtcNow(), out entry)
            || !certId.SequenceEqual(entry.CertId))
        {
            entry = null!;
            return false;
        }

        RevocationTelemetry.OcspAnswered(hierarchy, OcspResponseStatus.Successful, preSigned: true);
        return true;
    }

    /// <summary>Answers a DER OCSPRequest sent to <c>/ocsp/{hierarchy}</c>. Never throws for bad input.</summary>
    public async Task<OcspResult> RespondAsync(Hierarchy hierarchy, ReadOnlyMemory<byte> requestDer, CancellationToken ct)
    {
        if (TryAnswerFromMemory(hierarchy, requestDer.Span, out var entry))
        {
            return new OcspResult(entry.Der, OcspResponseStatus.Successful, entry.NextUpdate, entry);
        }

        var (result, preSigned) = await AnswerAsync(hierarchy, requestDer, ct);
        RevocationTelemetry.OcspAnswered(hierarchy, result.Status, preSigned);
        return result;
    }

    /// <summary>Reads a DER SEQUENCE header that spans all of <paramref name="der"/> and narrows to its contents.</summary>
    private static bool Enter(ref ReadOnlySpan<byte> der)
    {
        if (der.Length < 2 || der[0] != 0x30)
        {
            return false;
        }

        int length;
        int header;
        switch (der[1])
        {
            case < 0x80:
                length = der[1];
                header = 2;
                break;
            case 0x81 when der.Length >= 3 && der[2] >= 0x80:
                length = der[2];
                header = 3;
                break;
            case 0x82 when der.Length >= 4 && der[2] != 0:
                length = (der[2] << 8) | der[3];
                header = 4;
                break;
            default:
                return false;
        }

        if (der.Length != header + length)
        {
            return false;
        }

        der = der[header..];
        return true;
    }

    private async Task<(OcspResult Result, bool PreSigned)> AnswerAsync(Hierarchy hierarchy, ReadOnlyMemory<byte> requestDer, CancellationToken ct)
    {
        // Step 1: parse, within bounds.
        var request = OcspRequestParser.TryParse(requestDer);
        if (request is null)
        {
            return (Fail(OcspResponseStatus.MalformedRequest), false);
        }

        // Step 2: authorize: we answer only for the CA behind this URL.
        if (!_issuers.TryGetValue(hierarchy, out var issuer) || !request.CertIds.All(id => Names(issuer, id)))
        {
            return (Fail(OcspResponseStatus.Unauthorized), false);
        }

        var nonce = _options.EchoNonce ? request.NonceExtension : null;
        var held = request.CertIds is [{ SerialHex: { } heldSerial } only] && _replica.TryGet(hierarchy, heldSerial, _time.GetUtcNow(), out var e)
            && only.Encoded.Span.SequenceEqual(e.CertId) ? e : null;
        if (held is not null && nonce is null)
        {
            // The same request in another shape the fast path does not read (a signature or an unknown extension).
            return (new OcspResult(held.Der, OcspResponseStatus.Successful, held.NextUpdate, held), true);
        }

        // Step 3 and 4, bounded: a flood of nonces or unknown serials cannot take every core or connection.
        if (!await _live.WaitAsync(LiveWait, ct))
        {
            return held is null ? (Fail(OcspResponseStatus.TryLater), false) : (new OcspResult(held.Der, OcspResponseStatus.Successful, held.NextUpdate, held), true);
        }

        try
        {
            var statuses = new CertificateStatusInfo?[request.CertIds.Count];
            try
            {
                for (var i = 0; i < statuses.Length; i++)
                {
                    var serial = request.CertIds[i].SerialHex;
                    statuses[i] = serial is null ? null : await _reader.GetAsync(hierarchy, serial, ct);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return held is null ? (Fail(OcspResponseStatus.TryLater), false) : (new OcspResult(held.Der, OcspResponseStatus.Successful, held.NextUpdate, held), true);
            }

            try
            {
                return (Sign(_signers.For(hierarchy), request.CertIds, statuses, nonce, _time.GetUtcNow()), false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Signing is failing: the last valid pre-signed answer (without the nonce, as RFC 5019 allows) is
                // better than none.
                return held is null ? (Fail(OcspResponseStatus.TryLater), false) : (new OcspResult(held.Der, OcspResponseStatus.Successful, held.NextUpdate, held), true);
            }
        }
        finally
        {
            _live.Release();
        }
    }

    private static bool Names(RevocationIssuer issuer, OcspCertId id) => id.Algorithm switch
    {
        OcspHashAlgorithm.Sha1 => id.IssuerNameHash.Span.SequenceEqual(issuer.NameHashSha1) && id.IssuerKeyHash.Span.SequenceEqual(issuer.KeyHashSha1),
        OcspHashAlgorithm.Sha256 => id.IssuerNameHash.Span.SequenceEqual(issuer.NameHashSha256) && id.IssuerKeyHash.Span.SequenceEqual(issuer.KeyHashSha256),
        _ => false,
    };

    private static OcspResult Fail(OcspResponseStatus status) => new(OcspResponseWriter.Error(status), status, null);

    private OcspResult Sign(OcspSigner signer, IReadOnlyList<OcspCertId> ids, CertificateStatusInfo?[] statuses, ReadOnlyMemory<byte>? nonce, DateTimeOffset now)
    {
        var thisUpdate = Der.ToSeconds(now);
        var nextUpdate = thisUpdate + _options.OcspValidity;
        var answers = new SingleAnswer[ids.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = new SingleAnswer(ids[i].Encoded, statuses[i], thisUpdate, nextUpdate);
        }

        return new OcspResult(OcspResponseWriter.Successful(signer, answers, nonce, thisUpdate), OcspResponseStatus.Successful, nextUpdate);
    }
}
