using System.Net.Http.Headers;
using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>My Page calls of the service's API: e-applications and the information views (a portal session's bearer token).</summary>
public sealed partial class ServerApi
{
    public Task<EApplicationReceipt> SubmitEApplicationAsync(string token, EApplicationSubmission submission, CancellationToken ct) =>
        SendAsync<EApplicationReceipt>(HttpMethod.Post, "/api/v1/portal/e-applications", submission, token, ct);

    public Task<EApplicationView[]> GetEApplicationsAsync(string token, int limit, CancellationToken ct) =>
        SendAsync<EApplicationView[]>(HttpMethod.Get, $"/api/v1/portal/e-applications?limit={limit}", null, token, ct);

    /// <summary>One of the person's e-applications as the server stored it (CMS SignedData, DER).</summary>
    public async Task<byte[]> GetEApplicationCmsAsync(string token, string id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/portal/e-applications/{Uri.EscapeDataString(id)}/cms");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await SendRawAsync(request, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public Task<InformationView> GetInformationAsync(string token, string view, CancellationToken ct) =>
        SendAsync<InformationView>(HttpMethod.Get, $"/api/v1/portal/information/{Uri.EscapeDataString(view)}", null, token, ct);
}
