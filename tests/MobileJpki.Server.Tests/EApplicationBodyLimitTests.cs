using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>An oversized e-application is refused by Kestrel's per-endpoint limit (48 KiB) with 413, before anything is parsed or stored.</summary>
public sealed class EApplicationBodyLimitTests(KestrelMjpkiServer server) : IClassFixture<KestrelMjpkiServer>
{
    [Fact]
    public async Task Submit_BodyOver48KiB_413BodyTooLargeNothingStored()
    {
        var personId = Guid.NewGuid();
        var now = server.Clock.GetUtcNow();
        var serial = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        // A live auth certificate on record: a session is only good while the certificate behind it is.
        await using (var seed = server.OpenDb())
        {
            seed.Certificates.Add(new MobileJpki.Storage.CertificateEntity
            {
                Serial = serial,
                Kind = (int)CertificateKind.PhoneAuth,
                PersonId = personId,
                Status = (int)CertificateStatus.Active,
                NotBefore = now.AddDays(-1),
                NotAfter = now.AddYears(1),
                Tbs = [0x30, 0x00],
                Der = [0x30, 0x00],
                CreatedAt = now,
            });
            await seed.SaveChangesAsync();
        }

        var who = new AuthenticatedCertificate(personId, serial, CertificateKind.PhoneAuth, [0x30], now.AddYears(1));
        var (token, _) = await server.Services.GetRequiredService<SessionService>().OpenAsync(who, SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        var json = "{\"type\":\"passport\",\"cms\":\"" + new string('A', 60 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/portal/e-applications") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await server.Client.SendAsync(request);

        await Problem.AssertAsync(response, 413, "body-too-large");
        await using var db = server.OpenDb();
        Assert.Equal(0, await db.EApplications.CountAsync(a => a.PersonId == personId));
    }
}
