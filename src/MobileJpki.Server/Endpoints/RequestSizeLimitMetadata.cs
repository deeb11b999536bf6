using Microsoft.AspNetCore.Http.Metadata;

namespace MobileJpki.Server.Endpoints;

/// <summary>Per-endpoint body limit, tighter than the server-wide one.</summary>
internal sealed class RequestSizeLimitMetadata(long maxBytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize { get; } = maxBytes;
}
