using System.Net.Http.Headers;
using System.Text;

namespace MobileJpki.Server.Tests.Hotline;

/// <summary>Hotline bodies over 4 KiB are refused by Kestrel with 413 before anything is parsed (real Kestrel: the test host ignores limits).</summary>
public sealed class HotlineBodyLimitTests(KestrelMjpkiServer server) : IClassFixture<KestrelMjpkiServer>
{
    [Theory]
    [InlineData("/api/v1/hotline/sessions")]
    [InlineData("/api/v1/hotline/person-searches")]
    [InlineData("/api/v1/hotline/persons/00000000-0000-0000-0000-000000000001/suspension")]
    public async Task Post_BodyOver4KiB_413BodyTooLarge(string path)
    {
        var json = "{\"name\":\"" + new string('a', 8 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "whatever");

        using var response = await server.Client.SendAsync(request);

        await Problem.AssertAsync(response, 413, "body-too-large");
    }
}
