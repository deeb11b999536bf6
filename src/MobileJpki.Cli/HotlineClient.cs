using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MobileJpki.App;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary>The hotline console's and audit log's HTTP API; problem+json answers become <see cref="AppException"/>.</summary>
internal sealed class HotlineClient(HttpClient http, string? token) : IDisposable
{
    public static HotlineClient Create(string server, string? token) => new(ServerApi.CreateHttpClient(server), token);

    public Task<OperatorSessionView> SignInAsync(string name, string password, CancellationToken ct) =>
        SendAsync<OperatorSessionView>(HttpMethod.Post, "/api/v1/hotline/sessions", new OperatorSignIn(name, password), ct);

    public Task<OperatorAddResponse> AddOperatorAsync(OperatorAddRequest request, CancellationToken ct) =>
        SendAsync<OperatorAddResponse>(HttpMethod.Post, "/api/v1/hotline/operators", request, ct);

    public Task UnlockOperatorAsync(string name, CancellationToken ct) =>
        SendAsync<JsonElement?>(HttpMethod.Post, $"/api/v1/hotline/operators/{Uri.EscapeDataString(name)}/unlock", null, ct);

    public Task<PersonMatchView[]> FindAsync(PersonSearch search, CancellationToken ct) =>
        SendAsync<PersonMatchView[]>(HttpMethod.Post, "/api/v1/hotline/person-searches", search, ct);

    public Task<HotlineSuspendResponse> SuspendAsync(string personId, string reason, CancellationToken ct) =>
        SendAsync<HotlineSuspendResponse>(HttpMethod.Post, $"/api/v1/hotline/persons/{Uri.EscapeDataString(personId)}/suspension", new HotlineSuspendRequest(reason), ct);

    /// <summary>Every entry of the audit log, page by page, oldest first.</summary>
    public async Task<IReadOnlyList<AuditRecord>> ReadAllAuditAsync(CancellationToken ct)
    {
        var all = new List<AuditRecord>();
        long? after = 0;
        while (after is { } a)
        {
            var page = await SendAsync<AuditPage>(HttpMethod.Get, $"/api/v1/audit?after={a}&limit=5000", null, ct);
            all.AddRange(page.Entries);
            after = page.Next;
        }

        return all;
    }

    public void Dispose() => http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new AppException("server-unreachable", $"サーバーに接続できません / Cannot reach the server at {http.BaseAddress}: {ex.Message}");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return default!;
            }

            if (response.IsSuccessStatusCode)
            {
                return (await response.Content.ReadFromJsonAsync<T>(ProtocolJson.Options, ct))!;
            }

            var title = $"HTTP {(int)response.StatusCode}";
            var code = "http-" + (int)response.StatusCode;
            try
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                title = problem.TryGetProperty("title", out var t) && t.GetString() is { } s ? s : title;
                code = problem.TryGetProperty("code", out var c) && c.GetString() is { } cs ? cs : code;
            }
            catch (JsonException)
            {
                // Not problem+json; the status line is all we can say.
            }

            throw new AppException(code, response.StatusCode == HttpStatusCode.Unauthorized ? title + " (mjpki operator login)" : title);
        }
    }
}
