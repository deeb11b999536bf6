using System.Text;

namespace MobileJpki.Server.Tests;

/// <summary>The same server on real Kestrel (an ephemeral loopback port): body-size limits are Kestrel's to enforce, the test host ignores them.</summary>
public sealed class KestrelMjpkiServer : MjpkiServer
{
    public KestrelMjpkiServer()
    {
        UseKestrel(0);
        StartServer();
    }
}

/// <summary>Oversized bodies are refused with 413 before anything is parsed or stored.</summary>
public sealed class BodyLimitTests(KestrelMjpkiServer server) : IClassFixture<KestrelMjpkiServer>
{
    [Theory]
    [InlineData(300 * 1024)] // over the server-wide 256 KiB
    [InlineData(200 * 1024)] // over the application endpoint's 128 KiB
    public async Task SubmitApplication_BodyTooLarge_413BodyTooLargeNothingStored(int size)
    {
        var before = await server.CountsAsync();
        var json = "{\"cms\":\"" + new string('A', size) + "\"}";

        using var response = await server.Client.PostAsync("/api/v1/applications", new StringContent(json, Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, 413, "body-too-large");
        Assert.Equal(before, await server.CountsAsync());
    }

    [Fact]
    public async Task SandboxClock_BodyOver1KiB_413BodyTooLarge()
    {
        var json = "{\"advance\":\"PT1H\",\"pad\":\"" + new string(' ', 4096) + "\"}";

        using var response = await server.Client.PostAsync("/api/v1/sandbox/clock", new StringContent(json, Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, 413, "body-too-large");
    }

    [Fact]
    public async Task SubmitApplication_SmallBadBody_400NotLimitedByKestrel()
    {
        using var response = await server.Client.PostAsync("/api/v1/applications", new StringContent("{\"cms\":\"AAAA\"}", Encoding.UTF8, "application/json"));

        await Problem.AssertAsync(response, 400, "malformed-application");
        Assert.StartsWith("http://127.0.0.1:", server.Client.BaseAddress!.ToString(), StringComparison.Ordinal);
    }
}
