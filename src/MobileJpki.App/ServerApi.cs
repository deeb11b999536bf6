using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>Typed client of the service's HTTP API; problem+json answers become <see cref="AppException"/>.</summary>
public sealed partial class ServerApi(HttpClient http)
{
    public Uri BaseAddress => http.BaseAddress!;

    public static HttpClient CreateHttpClient(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new AppException("bad-server", $"--server must be an http(s) URL, not '{server}'.");
        }

        return new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(100) };
    }

    public Task<CardIssueResponse> IssueCardAsync(CardIssueRequest request, CancellationToken ct) =>
        SendAsync<CardIssueResponse>(HttpMethod.Post, "/api/v1/office/cards", request, null, ct);

    public Task<ApplicationReceipt> SubmitApplicationAsync(byte[] cms, CancellationToken ct) =>
        SendAsync<ApplicationReceipt>(HttpMethod.Post, "/api/v1/applications", new ApplicationSubmission(Convert.ToBase64String(cms)), null, ct);

    public Task<PhoneStatus> GetStatusAsync(string phoneId, string secret, bool withCertificates, CancellationToken ct) =>
        SendAsync<PhoneStatus>(HttpMethod.Get, $"/api/v1/phones/{Uri.EscapeDataString(phoneId)}/status?certificates={(withCertificates ? "true" : "false")}", null, secret, ct);

    public Task<PhoneNotification[]> GetNotificationsAsync(string phoneId, string secret, long after, int waitSeconds, CancellationToken ct) =>
        SendAsync<PhoneNotification[]>(HttpMethod.Get, $"/api/v1/phones/{Uri.EscapeDataString(phoneId)}/notifications?after={after}&wait={waitSeconds}", null, secret, ct);

    public Task<JsonElement> RegisterAsync(string phoneId, string secret, IReadOnlyList<string> serials, CancellationToken ct) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/phones/{Uri.EscapeDataString(phoneId)}/registration", new RegistrationRequest(serials), secret, ct);

    public Task AcknowledgeWipeAsync(string phoneId, string secret, CancellationToken ct) =>
        SendAsync<JsonElement?>(HttpMethod.Post, $"/api/v1/phones/{Uri.EscapeDataString(phoneId)}/wipe-acknowledgement", null, secret, ct);

    public Task<ClockView> GetClockAsync(CancellationToken ct) =>
        SendAsync<ClockView>(HttpMethod.Get, "/api/v1/sandbox/clock", null, null, ct);

    public Task<ClockView> ChangeClockAsync(ClockChange change, CancellationToken ct) =>
        SendAsync<ClockView>(HttpMethod.Post, "/api/v1/sandbox/clock", change, null, ct);

    /// <summary>The service's clock, as a phone syncs its clock with the network.</summary>
    public async Task<DateTimeOffset> GetServerTimeAsync(CancellationToken ct) =>
        (await SendAsync<ServerTime>(HttpMethod.Get, "/api/v1/time", null, null, ct)).Now;

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>Sends a JSON request (with an optional bearer token) and reads the JSON answer; refusals become <see cref="AppException"/>.</summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await SendRawAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return default!;
        }

        return (await response.Content.ReadFromJsonAsync<T>(ProtocolJson.Options, ct))!;
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new AppException("server-unreachable", $"サーバーに接続できません / Cannot reach the server at {http.BaseAddress}: {ex.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string title = $"HTTP {(int)response.StatusCode}";
            string code = "http-" + (int)response.StatusCode;
            try
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                if (problem.TryGetProperty("title", out var t) && t.GetString() is { } s)
                {
                    title = s;
                }

                if (problem.TryGetProperty("code", out var c) && c.GetString() is { } cs)
                {
                    code = cs;
                }
            }
            catch (JsonException)
            {
                // Not problem+json; the status line is all we can say.
            }

            throw new AppException(code, title, (int)response.StatusCode);
        }
    }
}
