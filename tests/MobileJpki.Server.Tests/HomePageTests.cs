using System.Net;
using System.Text.Json;

namespace MobileJpki.Server.Tests;

/// <summary>The landing page and the API document.</summary>
public sealed class HomePageTests(MjpkiServer server) : IClassFixture<MjpkiServer>
{
    [Fact]
    public async Task GetRoot_Html_NamesServiceAndLinksCaAndOpenApi()
    {
        using var response = await server.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("スマホ用電子証明書", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/ca/sign.cer\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/openapi/v1.json\"", html, StringComparison.Ordinal);

        // The links it advertises work.
        using var ca = await server.CaCertificateAsync("sign.cer");
        Assert.Contains("JPKI", ca.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOpenApi_Json_ListsApplicationsEndpoint()
    {
        using var response = await server.Client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/applications", out var applications));
        Assert.True(applications.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/v1/phones/{phoneId}/status", out _));
        Assert.StartsWith("3.", doc.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCa_UnknownName_404()
    {
        using var response = await server.Client.GetAsync("/ca/evil.cer");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
