using System.Security.Cryptography.X509Certificates;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Web.Pages.App.MyPage;

/// <summary>One kind of phone certificate as My Page shows it.</summary>
/// <param name="Kind">"sign" or "auth".</param>
/// <param name="Status">The server's status, or "none" when this phone holds no certificate of the kind.</param>
public sealed record CertificateRow(string Kind, string Status, string? Serial, DateTimeOffset? NotBefore, DateTimeOffset? NotAfter);

/// <summary>One phone password's counter (tries left, or locked).</summary>
public sealed record PasswordRow(PinKind Kind, PinStatus Status);

/// <summary>My Page: the status of each phone certificate (from the server, through the app) and what can be done next.</summary>
public sealed class MyPageModel : PhonePageModel
{
    /// <summary>The phone has not applied from the app yet (no device secret).</summary>
    public bool NotApplied { get; private set; }

    public IReadOnlyList<CertificateRow> Rows { get; private set; } = [];

    public IReadOnlyList<PasswordRow> Passwords { get; private set; } = [];

    /// <summary>An application of this phone waiting for issuance, if any.</summary>
    public ApplicationView? Waiting { get; private set; }

    /// <summary>The portal session's end, when logged in.</summary>
    public DateTimeOffset? LoggedInUntil { get; private set; }

    /// <summary>A notice from the previous step (after a redirect), chosen by a fixed key, never free text.</summary>
    public string? Done { get; private set; }

    public async Task OnGetAsync(string? done, CancellationToken ct)
    {
        Done = done is "suspended" or "revoked" or "reset" or "logged-out" ? done : null;
        await WithAppAsync(
            async (app, phone) =>
            {
                LoggedInUntil = SessionToken(phone) is null ? null : SessionExpires(phone);
                Passwords = new[] { PinKind.Signing, PinKind.Auth }
                    .Select(k => app.PhonePasswordStatus(k) is { } s ? new PasswordRow(k, s) : null)
                    .OfType<PasswordRow>()
                    .ToList();
                PhoneStatus status;
                try
                {
                    status = await app.SyncAsync(ct);
                }
                catch (AppException e) when (e.Code == "not-applied")
                {
                    NotApplied = true;
                    Rows = [Row(Hierarchy.Signing, [], phone), Row(Hierarchy.Auth, [], phone)];
                    return;
                }

                Rows = [Row(Hierarchy.Signing, status.Certificates, phone), Row(Hierarchy.Auth, status.Certificates, phone)];
                Waiting = status.Applications.LastOrDefault(a => a.Status is "queued" or "processing");
            },
            ct);
    }

    /// <summary>True when the row's certificate is still the person's (usable, on hold, or waiting for 利用登録).</summary>
    public static bool Live(CertificateRow row) => row.Status is "active" or "suspended" or "issued" or "pending";

    /// <summary>The status in words (Japanese, English).</summary>
    public static (string Ja, string En) Label(string status) => status switch
    {
        "active" => ("有効", "Active"),
        "suspended" => ("一時利用停止中", "Suspended"),
        "revoked" => ("失効", "Revoked"),
        "expired" => ("有効期限切れ", "Expired"),
        "issued" => ("発行済み（利用登録が必要）", "Issued (registration needed)"),
        "pending" => ("発行処理中", "Being issued"),
        _ => ("未登録", "Not registered"),
    };

    /// <summary>The badge class for a status (site.css).</summary>
    public static string Badge(string status) => status switch
    {
        "active" => "active",
        "suspended" => "suspended",
        "revoked" => "revoked",
        "expired" => "expired",
        _ => "pending",
    };

    /// <summary>The newest certificate of the kind that is still live, else the newest of any status.</summary>
    private static CertificateRow Row(Hierarchy kind, IReadOnlyList<PhoneCertificateView> all, Device.VirtualPhone phone)
    {
        var wire = kind.WireName();
        var ofKind = all.Where(c => c.Kind == wire).ToList();
        var chosen = ofKind.LastOrDefault(c => c.Status is "active" or "suspended" or "issued" or "pending") ?? ofKind.LastOrDefault();
        if (chosen is null)
        {
            return new CertificateRow(wire, "none", null, null, null);
        }

        // NotBefore is public data of the certificate in the SE (the server's view carries NotAfter only).
        DateTimeOffset? notBefore = null;
        if (phone.SecureElement.CertificateDer(kind == Hierarchy.Signing ? PinKind.Signing : PinKind.Auth) is { } der)
        {
            using var cert = X509CertificateLoader.LoadCertificate(der);
            if (string.Equals(cert.SerialNumber, chosen.Serial, StringComparison.OrdinalIgnoreCase))
            {
                notBefore = cert.NotBefore;
            }
        }

        return new CertificateRow(wire, chosen.Status, chosen.Serial, notBefore, chosen.NotAfter);
    }
}
