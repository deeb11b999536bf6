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
    private readonly ServerApi api = new(http);

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

    /// <summary>A checkpoint of the log's current head, signed by the server's audit key (supervisor).</summary>
    public Task<AuditCheckpoint> CheckpointAsync(CancellationToken ct) =>
        SendAsync<AuditCheckpoint>(HttpMethod.Post, "/api/v1/audit/checkpoints", null, ct);

    /// <summary>The audit key's public half (supervisor).</summary>
    public Task<AuditKeyView> AuditKeyAsync(CancellationToken ct) =>
        SendAsync<AuditKeyView>(HttpMethod.Get, "/api/v1/audit/key", null, ct);

    public void Dispose() => http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        try
        {
            return await api.SendAsync<T>(method, path, body, token, ct);
        }
        catch (AppException e) when (e.HttpStatus == (int)HttpStatusCode.Unauthorized)
        {
            throw new AppException(e.Code, e.Message + " (mjpki operator login)", e.HttpStatus);
        }
    }
}
