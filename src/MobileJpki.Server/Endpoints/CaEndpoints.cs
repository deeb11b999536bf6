using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Server.Endpoints;

/// <summary>The CA certificates, at the AIA caIssuers URLs written into every certificate.</summary>
internal static class CaEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/ca/{name}", (string name, ICertificateAuthority ca) =>
        {
            var (hierarchy, pem) = name switch
            {
                "sign.cer" => (Hierarchy.Signing, false),
                "auth.cer" => (Hierarchy.Auth, false),
                "sign.pem" => (Hierarchy.Signing, true),
                "auth.pem" => (Hierarchy.Auth, true),
                _ => ((Hierarchy?)null, false),
            };
            if (hierarchy is null)
            {
                return Results.NotFound();
            }

            var cert = ca.CaCertificate(hierarchy.Value);
            return pem
                ? Results.Text(cert.ExportCertificatePem() + "\n", "application/x-pem-file")
                : Results.Bytes(cert.RawData, "application/pkix-cert");
        })
        .WithTags("CA")
        .WithSummary("CA certificate: sign.cer / auth.cer (DER, the AIA caIssuers URL) or .pem");
    }
}
