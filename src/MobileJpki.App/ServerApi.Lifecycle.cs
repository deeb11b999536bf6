using MobileJpki.Core.Protocol;

namespace MobileJpki.App;

/// <summary>The lifecycle calls of the service's API (suspend, resume, revoke, device change, password reset).</summary>
public sealed partial class ServerApi
{
    public Task<LifecycleReceipt> SuspendAsync(string phoneId, string secret, CancellationToken ct) =>
        SendAsync<LifecycleReceipt>(HttpMethod.Post, $"{Phone(phoneId)}/suspension", null, secret, ct);

    public Task<LifecycleReceipt> ResumeAsync(string phoneId, string secret, byte[]? cms, CancellationToken ct) =>
        SendAsync<LifecycleReceipt>(HttpMethod.Post, $"{Phone(phoneId)}/resumption", new ResumeRequest(cms is null ? null : Convert.ToBase64String(cms)), secret, ct);

    public Task<LifecycleReceipt> RevokeAsync(string phoneId, string secret, CancellationToken ct) =>
        SendAsync<LifecycleReceipt>(HttpMethod.Post, $"{Phone(phoneId)}/revocation", null, secret, ct);

    public Task<ApplicationReceipt> SubmitDeviceChangeAsync(byte[] cms, bool confirmRevokeOldPhone, CancellationToken ct) =>
        SendAsync<ApplicationReceipt>(HttpMethod.Post, "/api/v1/device-changes", new DeviceChangeRequest(Convert.ToBase64String(cms), confirmRevokeOldPhone), null, ct);

    public Task<ChallengeView> GetResetChallengeAsync(string phoneId, string secret, string kind, CancellationToken ct) =>
        SendAsync<ChallengeView>(HttpMethod.Post, $"{Phone(phoneId)}/password-reset/challenge", new ChallengeRequest(kind), secret, ct);

    public Task<PasswordResetApproval> ResetPasswordAsync(string phoneId, string secret, PasswordResetRequest request, CancellationToken ct) =>
        SendAsync<PasswordResetApproval>(HttpMethod.Post, $"{Phone(phoneId)}/password-reset", request, secret, ct);

    private static string Phone(string phoneId) => $"/api/v1/phones/{Uri.EscapeDataString(phoneId)}";
}
