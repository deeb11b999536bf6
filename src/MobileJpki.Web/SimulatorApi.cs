using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using MobileJpki.App;

namespace MobileJpki.Web;

/// <summary>
/// The HTTP API as the simulated phone reaches it: the simulator is a phone, so it goes through the public API over
/// loopback exactly like <c>mjpki app</c> does, never around it. The address is <c>Web:ApiBaseUrl</c>, or else the
/// first address this server listens on.
/// </summary>
public sealed class SimulatorApi(IHttpClientFactory clients, IServer server, IConfiguration config)
{
    /// <summary>The named HttpClient the simulator uses.</summary>
    public const string ClientName = "mjpki-simulator";

    private Uri? _baseAddress;

    /// <summary>A client of the API for one request's work.</summary>
    public ServerApi Create()
    {
        var http = clients.CreateClient(ClientName);
        http.BaseAddress = BaseAddress;
        return new ServerApi(http);
    }

    /// <summary>Where the API is reached.</summary>
    public Uri BaseAddress => _baseAddress ??= Resolve();

    private Uri Resolve()
    {
        if (config["Web:ApiBaseUrl"] is { Length: > 0 } configured)
        {
            return new Uri(configured);
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no address for the simulator; set Web:ApiBaseUrl.");

        // A wildcard listen address is reached on loopback.
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }

        return uri.Uri;
    }
}
