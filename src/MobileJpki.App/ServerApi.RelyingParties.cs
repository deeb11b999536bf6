using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>The relying-party calls: the phone's device-link approvals and relying-party registration.</summary>
public sealed partial class ServerApi
{
    public Task<DeviceLinkView> GetDeviceLinkAsync(string code, CancellationToken ct) =>
        SendAsync<DeviceLinkView>(HttpMethod.Get, $"/api/v1/device-links/{Uri.EscapeDataString(code)}", null, null, ct);

    public Task<DeviceLinkOutcome> DecideDeviceLinkAsync(string code, DeviceLinkDecision decision, CancellationToken ct) =>
        SendAsync<DeviceLinkOutcome>(HttpMethod.Post, $"/api/v1/device-links/{Uri.EscapeDataString(code)}/decision", decision, null, ct);

    public Task<RelyingPartyView> RegisterRelyingPartyAsync(RelyingPartyRegistration registration, string? adminKey, CancellationToken ct) =>
        SendAsync<RelyingPartyView>(HttpMethod.Post, "/api/v1/relying-parties", registration, adminKey, ct);
}
