using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MobileJpki.Web;

/// <summary>
/// The browser's address on the UI's own calls to the API. The console and the simulator reach the API over loopback
/// (<see cref="SimulatorApi"/>), so without this every browser would count as the server itself in the API's rate
/// limits. Each call carries the browser's address MAC-ed with a key of this process only: a tag from anywhere else
/// (a client setting the header, another node) does not verify, and the connection's address counts instead.
/// </summary>
public sealed class UiRelay
{
    /// <summary>The header: the address, a space, the base64url HMAC-SHA256 of the address under this process's key.</summary>
    public const string HeaderName = "X-Mjpki-Ui-Source";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string Tag(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var text = address.ToString();
        return text + " " + System.Buffers.Text.Base64Url.EncodeToString(Mac(text));
    }

    /// <summary>The address of a tag made by this process; null for none, a malformed one or a forgery.</summary>
    public IPAddress? Verify(string? tag)
    {
        if (tag is not { Length: > 0 and <= 128 } || tag.Split(' ') is not [var text, var mac]
            || !IPAddress.TryParse(text, out var address) || !System.Buffers.Text.Base64Url.IsValid(mac))
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(Mac(text), System.Buffers.Text.Base64Url.DecodeFromChars(mac)) ? address : null;
    }

    private byte[] Mac(string text) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(text));

    /// <summary>Adds the tag of the browser whose request is being served to the UI's calls to the API.</summary>
    internal sealed class Handler(IHttpContextAccessor accessor, UiRelay relay) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (accessor.HttpContext?.Connection.RemoteIpAddress is { } browser)
            {
                request.Headers.Remove(HeaderName);
                request.Headers.TryAddWithoutValidation(HeaderName, relay.Tag(browser));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
