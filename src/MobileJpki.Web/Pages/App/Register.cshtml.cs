using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App;

/// <summary>/app/phones/{phoneId}/register: 利用登録 — the issued certificates are written into the SE and become active.</summary>
public sealed class RegisterModel : PhoneScreenModel
{
    /// <summary>One registered certificate as the page shows it.</summary>
    public sealed record Row(string Kind, string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Status, string Pem);

    /// <summary>Certificates waiting for 利用登録 (before the button is pressed).</summary>
    public IReadOnlyList<PhoneCertificateView> Waiting { get; private set; } = [];

    /// <summary>The certificates now in the SE (after the button).</summary>
    public IReadOnlyList<Row> Registered { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        await WithPhoneAsync(new WebScreens(), async (_, app) =>
        {
            var status = await StatusOrNullAsync(app, ct);
            Waiting = status?.Certificates.Where(c => c.Status == "issued").ToList() ?? [];
        }, ct);

    public async Task OnPostAsync(CancellationToken ct) =>
        await WithPhoneAsync(new WebScreens(), async (_, app) =>
        {
            var certs = await app.RegisterAsync(ct);
            var status = await app.SyncAsync(ct);
            Registered = certs.Select(c =>
            {
                var serial = c.SerialNumber.ToLowerInvariant();
                var kind = CertificatePolicies.KindOf(c) == CertificateKind.PhoneSigning ? "signing" : "auth";
                var state = status.Certificates.FirstOrDefault(v => v.Serial == serial)?.Status ?? "unknown";
                return new Row(kind, serial, new DateTimeOffset(c.NotBefore.ToUniversalTime()), new DateTimeOffset(c.NotAfter.ToUniversalTime()), state, c.ExportCertificatePem());
            }).ToList();
            foreach (var c in certs)
            {
                c.Dispose();
            }
        }, ct);
}
