using System.Buffers;
using Microsoft.Net.Http.Headers;
using MobileJpki.Core;
using MobileJpki.Revocation.Crl;
using MobileJpki.Revocation.Ocsp;

namespace MobileJpki.Server.Endpoints;

/// <summary>
/// 失効情報提供 at the URLs written into every certificate (docs/revocation.md): OCSP by POST and RFC 5019 GET at
/// <c>/ocsp/{sign|auth}</c>, CRLs at <c>/crl/{sign|auth}.crl</c>. Thin: read within bounds, hand the bytes to the
/// responder or publisher, write what they return.
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
        app.MapPost("/ocsp/{hierarchy}", PostOcspAsync)
            .WithMetadata(new RequestSizeLimitMetadata(MaxPostBytes))
            .WithTags("Revocation")
            .WithSummary("OCSP (RFC 6960): a DER OCSPRequest as application/ocsp-request; hierarchy is sign or auth");
        app.MapGet("/ocsp/{hierarchy}/{**request}", GetOcspAsync)
            .WithTags("Revocation")
            .WithSummary("OCSP by GET (RFC 5019 §5): the base64 (URL-escaped) DER request in the path; cacheable until nextUpdate");
        app.MapGet("/crl/{name}", GetCrlAsync)
            .WithTags("Revocation")
            .WithSummary("CRL (RFC 5280): sign.crl or auth.crl, DER, application/pkix-crl");
    }

    private static async Task<IResult> PostOcspAsync(string hierarchy, HttpRequest request, OcspResponder responder, CancellationToken ct)
    {
        if (!CertificateKinds.TryParseWireName(hierarchy, out var h))
        {
            return Results.NotFound();
        }

        var body = await ReadAtMostAsync(request.Body, OcspRequestParser.MaxRequestBytes + 1, ct);
        var result = await responder.RespondAsync(h, body, ct);
        return Results.Bytes(result.Der, OcspResponseType);
    }

    private static async Task<IResult> GetOcspAsync(string hierarchy, string? request, HttpResponse response, OcspResponder responder, TimeProvider time, CancellationToken ct)
    {
        if (!CertificateKinds.TryParseWireName(hierarchy, out var h))
        {
            return Results.NotFound();
        }

        var result = await responder.RespondAsync(h, DecodeGetRequest(request), ct);
        response.Headers.CacheControl = result.NextUpdate is { } nextUpdate
            ? $"public, no-transform, must-revalidate, max-age={MaxAge(nextUpdate, time)}"
            : "no-store";
        return Results.Bytes(result.Der, OcspResponseType);
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
