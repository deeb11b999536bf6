using System.Buffers;
using Microsoft.Net.Http.Headers;
using MobileJpki.Core;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Server.Endpoints;

/// <summary>
/// 失効情報提供 at the URLs written into every certificate (docs/revocation.md): OCSP by POST and RFC 5019 GET at
/// <c>/ocsp/{sign|auth}</c>, CRLs at <c>/crl/{sign|auth}.crl</c> and partitions at <c>/crl/{sign|auth}/{n}.crl</c>.
/// Thin: read within bounds, hand the bytes to the responder or publisher, write what they return. The common OCSP
/// request is answered from memory without allocating beyond the response headers.
/// </summary>
internal static class RevocationEndpoints
{
    /// <summary>Kestrel refuses larger POST bodies with 413; the responder answers malformedRequest above 2 KiB already.</summary>
    public const int MaxPostBytes = 4 * 1024;

    private const string OcspResponseType = "application/ocsp-response";

    /// <summary>The longest base64 form of a request the responder would parse (2 KiB → 2,732 characters, plus escaping).</summary>
    private const int MaxGetChars = 4 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/ocsp/{hierarchy}", (RequestDelegate)PostOcspAsync)
            .WithMetadata(new RequestSizeLimitMetadata(MaxPostBytes))
            .WithTags("Revocation")
            .WithSummary("OCSP (RFC 6960): a DER OCSPRequest as application/ocsp-request; hierarchy is sign or auth");
        app.MapGet("/ocsp/{hierarchy}/{**request}", (RequestDelegate)GetOcspAsync)
            .WithTags("Revocation")
            .WithSummary("OCSP by GET (RFC 5019 §5): the base64 (URL-escaped) DER request in the path; cacheable until nextUpdate");
        app.MapGet("/crl/{name}", GetCrlAsync)
            .WithTags("Revocation")
            .WithSummary("CRL (RFC 5280): sign.crl or auth.crl, DER, application/pkix-crl");
        app.MapGet("/crl/{hierarchy}/{partition}", GetCrlPartitionAsync)
            .WithTags("Revocation")
            .WithSummary("CRL partition (RFC 5280 issuingDistributionPoint): /crl/{sign|auth}/{n}.crl, DER");
    }

    private static async Task PostOcspAsync(HttpContext context)
    {
        if (!CertificateKinds.TryParseWireName(context.Request.RouteValues["hierarchy"] as string, out var h))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var responder = context.RequestServices.GetRequiredService<OcspResponder>();
        var body = await ReadAtMostAsync(context.Request.Body, OcspRequestParser.MaxRequestBytes + 1, context.RequestAborted);
        if (responder.TryAnswerFromMemory(h, body, out var entry))
        {
            await WriteAsync(context, entry.Der, entry, cacheable: false);
            return;
        }

        var result = await responder.RespondAsync(h, body, context.RequestAborted);
        await WriteAsync(context, result.Der, result.PreSigned, cacheable: false);
    }

    private static async Task GetOcspAsync(HttpContext context)
    {
        var path = context.Request.Path.Value.AsSpan();

        // "/ocsp/" + "sign" or "auth" + "/" + the request.
        const int Prefix = 11;
        Hierarchy h;
        if (path.Length > Prefix && path[10] == '/' && path[6..10] is "sign")
        {
            h = Hierarchy.Signing;
        }
        else if (path.Length > Prefix && path[10] == '/' && path[6..10] is "auth")
        {
            h = Hierarchy.Auth;
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var responder = context.RequestServices.GetRequiredService<OcspResponder>();
        var encoded = path[Prefix..];
        if (TryAnswerGetFromMemory(responder, h, encoded, out var entry))
        {
            await WriteAsync(context, entry.Der, entry, cacheable: true);
            return;
        }

        var result = await responder.RespondAsync(h, DecodeGetRequest(encoded.ToString()), context.RequestAborted);
        await WriteAsync(context, result.Der, result.PreSigned, cacheable: result.NextUpdate is not null, result.NextUpdate);
    }

    /// <summary>
    /// Base64 as RFC 5019 clients send it, decoded on the stack: Kestrel has unescaped the path except %2F, which
    /// is undone here. Anything unusual (base64url, missing padding) takes the general path.
    /// </summary>
    private static bool TryAnswerGetFromMemory(OcspResponder responder, Hierarchy h, ReadOnlySpan<char> encoded, out OcspReplicaEntry entry)
    {
        entry = null!;
        if (encoded.Length is 0 or > 400)
        {
            return false;
        }

        Span<char> text = stackalloc char[400];
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length && encoded[i + 1] == '2' && encoded[i + 2] is 'F' or 'f')
            {
                text[length++] = '/';
                i += 2;
            }
            else
            {
                text[length++] = encoded[i];
            }
        }

        Span<byte> der = stackalloc byte[300];
        return Convert.TryFromBase64Chars(text[..length], der, out var written) && responder.TryAnswerFromMemory(h, der[..written], out entry);
    }

    private static Task WriteAsync(HttpContext context, byte[] der, OcspReplicaEntry? entry, bool cacheable, DateTimeOffset? nextUpdate = null)
    {
        var response = context.Response;
        if (cacheable && entry is not null)
        {
            SetCacheHeaders(context, entry);
            var ifNoneMatch = context.Request.Headers.IfNoneMatch;
            if (ifNoneMatch.Count == 1 && string.Equals(ifNoneMatch[0], entry.ETag, StringComparison.Ordinal))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }
        }
        else if (cacheable && nextUpdate is { } until)
        {
            // Signed for this request (not held yet): cacheable, but no validator.
            response.Headers.CacheControl = $"public, no-transform, must-revalidate, max-age={MaxAge(until, context.RequestServices.GetRequiredService<TimeProvider>())}";
        }
        else
        {
            response.Headers.CacheControl = "no-store";
        }

        response.ContentType = OcspResponseType;
        response.ContentLength = der.Length;
        return response.Body.WriteAsync(der, context.RequestAborted).AsTask();
    }

    /// <summary>RFC 5019 §6.2: max-age until nextUpdate, ETag, Last-Modified = thisUpdate, Expires = nextUpdate.</summary>
    private static void SetCacheHeaders(HttpContext context, OcspReplicaEntry entry)
    {
        var headers = context.Response.Headers;
        var maxAge = MaxAge(entry.NextUpdate, context.RequestServices.GetRequiredService<TimeProvider>());
        headers.CacheControl = $"public, no-transform, must-revalidate, max-age={maxAge}";
        headers.ETag = entry.ETag;
        headers.LastModified = entry.LastModified;
        headers.Expires = entry.Expires;
    }

    private static async Task<IResult> GetCrlPartitionAsync(string hierarchy, string partition, HttpResponse response, CrlPublisher publisher, TimeProvider time, Revocation.RevocationOptions options, CancellationToken ct)
    {
        if (!CertificateKinds.TryParseWireName(hierarchy, out var h) || !partition.EndsWith(".crl", StringComparison.Ordinal)
            || !int.TryParse(partition.AsSpan(0, partition.Length - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || n >= options.MaxCrlPartitions || partition.Length > 10 || (partition.Length > 5 && partition[0] == '0'))
        {
            return Results.NotFound();
        }

        var crl = await publisher.GetAsync(h, n, ct);
        response.Headers.CacheControl = $"public, no-transform, max-age={MaxAge(crl.ThisUpdate + options.CrlRefreshAfter, time)}";
        return Results.Bytes(crl.Der, "application/pkix-crl");
    }

    private static async Task<IResult> GetCrlAsync(string name, HttpResponse response, CrlPublisher publisher, TimeProvider time, Revocation.RevocationOptions options, CancellationToken ct)
    {
        Hierarchy? hierarchy = name switch
        {
            "sign.crl" => Hierarchy.Signing,
            "auth.crl" => Hierarchy.Auth,
            _ => null,
        };
        if (hierarchy is null)
        {
            return Results.NotFound();
        }

        var crl = await publisher.GetAsync(hierarchy.Value, ct);
        response.Headers.CacheControl = $"public, no-transform, max-age={MaxAge(crl.ThisUpdate + options.CrlRefreshAfter, time)}";
        return Results.Bytes(crl.Der, "application/pkix-crl");
    }

    /// <summary>RFC 5019 §5: base64, then URL-escaped. Also takes base64url. Anything undecodable becomes an empty request (malformedRequest).</summary>
    private static byte[] DecodeGetRequest(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > MaxGetChars)
        {
            return [];
        }

        // Kestrel has decoded every escape but %2F (it keeps path segments apart); base64 itself never contains '%'.
        var text = Uri.UnescapeDataString(path).Replace('-', '+').Replace('_', '/').Replace(' ', '+');
        text = (text.Length % 4) switch
        {
            2 => text + "==",
            3 => text + "=",
            _ => text,
        };
        var buffer = new byte[text.Length * 3 / 4];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : [];
    }

    private static long MaxAge(DateTimeOffset until, TimeProvider time) => Math.Max(0, (long)(until - time.GetUtcNow()).TotalSeconds);

    /// <summary>Reads the body, stopping after <paramref name="limit"/> bytes (enough to tell "too large" from "fits").</summary>
    private static async Task<byte[]> ReadAtMostAsync(Stream body, int limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var total = 0;
            int read;
            while (total < limit && (read = await body.ReadAsync(buffer.AsMemory(total, limit - total), ct)) > 0)
            {
                total += read;
            }

            return buffer[..total];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
