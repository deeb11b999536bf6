using System.Net.Http.Headers;
using System.Net.Http.Json;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>The portal, kiosk and hospital-reader calls of the service's API (docs/relying-parties.md).</summary>
public sealed partial class ServerApi
{
    /// <summary>The origin login messages are bound to: the server this client talks to.</summary>
    public string Origin => LoginMessage.Origin(BaseAddress);

    public Task<LoginChallengeView> GetPortalChallengeAsync(string phoneId, string secret, CancellationToken ct) =>
        SendAsync<LoginChallengeView>(HttpMethod.Post, "/api/v1/portal/challenges", new LoginChallengeRequest(phoneId, null), secret, ct);

    public Task<LoginChallengeView> GetCardChallengeAsync(string clientNonce, CancellationToken ct) =>
        SendAsync<LoginChallengeView>(HttpMethod.Post, "/api/v1/portal/challenges", new LoginChallengeRequest(null, clientNonce), null, ct);

    /// <summary>Logs in to the portal; <paramref name="secret"/> is the phone's device secret for a phone login, null for the card.</summary>
    public Task<SessionView> LoginAsync(LoginRequest request, string? secret, CancellationToken ct) =>
        SendAsync<SessionView>(HttpMethod.Post, "/api/v1/portal/sessions", request, secret, ct);

    public Task<PortalMe> GetMeAsync(string token, CancellationToken ct) =>
        SendAsync<PortalMe>(HttpMethod.Get, "/api/v1/portal/me", null, token, ct);

    public Task<UsagePage> GetUsageAsync(string token, long before, int limit, CancellationToken ct) =>
        SendAsync<UsagePage>(HttpMethod.Get, $"/api/v1/portal/usage?before={before}&limit={limit}", null, token, ct);

    public Task LogoutAsync(string token, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Post, "/api/v1/portal/logout", null, token, ct);

    /// <summary>A kiosk's or hospital reader's challenge (<paramref name="terminal"/>: "kiosks" or "hospitals").</summary>
    public Task<LoginChallengeView> GetTerminalChallengeAsync(string terminal, string id, string? key, CancellationToken ct) =>
        SendTerminalAsync<LoginChallengeView>(HttpMethod.Post, Terminal(terminal, id, "challenges"), new { }, key, null, ct);

    public Task<SessionView> TerminalLoginAsync(string terminal, string id, string? key, LoginRequest request, CancellationToken ct) =>
        SendTerminalAsync<SessionView>(HttpMethod.Post, Terminal(terminal, id, "sessions"), request, key, null, ct);

    public Task TerminalLogoutAsync(string terminal, string id, string? key, string token, CancellationToken ct) =>
        SendTerminalAsync<object?>(HttpMethod.Post, Terminal(terminal, id, "logout"), null, key, token, ct);

    public Task<KioskDocument> IssueKioskDocumentAsync(string kioskId, string? key, string token, string type, CancellationToken ct) =>
        SendTerminalAsync<KioskDocument>(HttpMethod.Post, Terminal("kiosks", kioskId, "documents"), new KioskDocumentRequest(type), key, token, ct);

    public Task<EligibilityView> CheckEligibilityAsync(string hospitalId, string? key, string token, CancellationToken ct) =>
        SendTerminalAsync<EligibilityView>(HttpMethod.Get, Terminal("hospitals", hospitalId, "eligibility"), null, key, token, ct);

    public Task<DocumentKeySet> GetDocumentKeysAsync(CancellationToken ct) =>
        SendAsync<DocumentKeySet>(HttpMethod.Get, "/api/v1/documents/keys", null, null, ct);

    private static string Terminal(string terminal, string id, string action) => $"/api/v1/{terminal}/{Uri.EscapeDataString(id)}/{action}";

    private async Task<T> SendTerminalAsync<T>(HttpMethod method, string path, object? body, string? key, string? bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options);
        }

        if (key is not null)
        {
            request.Headers.Add("X-Terminal-Key", key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await SendRawAsync(request, ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
        {
            return default!;
        }

        return (await response.Content.ReadFromJsonAsync<T>(ProtocolJson.Options, ct))!;
    }
}
