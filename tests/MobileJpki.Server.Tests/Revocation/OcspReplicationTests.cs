using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;
using static MobileJpki.Server.Tests.Revocation.RevocationSupport;

namespace MobileJpki.Server.Tests.Revocation;

/// <summary>
/// Two server nodes on one PostgreSQL database and one CA: what one node's refresher signs, the other serves from
/// its replica; a status change shows on both within the poll bound. And responses are signed again before their
/// nextUpdate as the clock moves on.
/// </summary>
public sealed class OcspReplicationTests(PostgresMjpkiServer first) : IClassFixture<PostgresMjpkiServer>
{
    [Fact]
    public async Task SecondNode_SharedTable_ServesTheSameBytesAndSeesAHoldWithinTheBound()
    {
        using var second = new SecondNode(first);
        var card = await first.IssueCardAsync();
        using var cert = card.AuthCertificate;
        var serial = cert.SerialNumber.ToLowerInvariant();
        var row = await WaitForOcspAsync(first, serial, OcspCertStatus.Good);
        var request = await RequestAsync(second, serial);

        var replica = second.Services.GetRequiredService<OcspReplica>();
        var responder = second.Services.GetRequiredService<OcspResponder>();
        Assert.True(await EventuallyAsync(() => responder.TryAnswerFromMemory(Hierarchy.Auth, request, out var e) && e.Der.AsSpan().SequenceEqual(row.Der)));

        await SetStatusAsync(first, serial, CertificateStatus.Suspended, RevocationReasons.Hold);
        var watch = Stopwatch.StartNew();
        Assert.True(await EventuallyAsync(() => responder.TryAnswerFromMemory(Hierarchy.Auth, request, out var e) && e.Stored.CertStatus == OcspCertStatus.OnHold));
        watch.Stop();

        // Both nodes' refreshers may have signed it; the table holds one row, which both now serve.
        var held = await WaitForOcspAsync(first, serial, OcspCertStatus.OnHold);
        Assert.True(await EventuallyAsync(() => responder.TryAnswerFromMemory(Hierarchy.Auth, request, out var e) && e.Der.AsSpan().SequenceEqual(held.Der)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the hold took {watch.Elapsed} to reach the second node");
        Assert.True(replica.Count > 0);
    }

    [Fact]
    public async Task Refresher_ClockPastRefreshAfter_SignedAgainBeforeNextUpdate()
    {
        var card = await first.IssueCardAsync();
        using var cert = card.AuthCertificate;
        var serial = cert.SerialNumber.ToLowerInvariant();
        var before = await WaitForOcspAsync(first, serial, OcspCertStatus.Good);

        using (var response = await first.Client.PostAsJsonAsync("/api/v1/sandbox/clock", new { advance = "PT13H" }))
        {
            response.EnsureSuccessStatusCode();
        }

        OcspResponseEntity? after = null;
        Assert.True(await EventuallyAsync(async () =>
        {
            await using var db = first.OpenDb();
            after = await db.OcspResponses.AsNoTracking().SingleAsync(o => o.Serial == serial);
            return after.ThisUpdate > before.ThisUpdate;
        }));
        Assert.True(after!.NextUpdate > before.NextUpdate);
        Assert.True(after.ThisUpdate >= before.ThisUpdate.AddHours(13));
        Assert.False(after.Stale);
    }

    private static async Task<byte[]> RequestAsync(MjpkiServer server, string serial)
    {
        using var ca = await server.CaCertificateAsync("auth.cer");
        using var unused = System.Security.Cryptography.RSA.Create();
        var certId = OcspCertIds.Sha1(new MobileJpki.Revocation.RevocationIssuer(Hierarchy.Auth, ca, unused), serial);
        byte[] request = [0x30, .. Length(certId.Length + 6), 0x30, .. Length(certId.Length + 4), 0x30, .. Length(certId.Length + 2), 0x30, .. Length(certId.Length), .. certId];
        return request;
    }

    private static byte[] Length(int length) => length < 0x80 ? [(byte)length] : [0x81, (byte)length];

    private static Task<bool> EventuallyAsync(Func<bool> condition) => EventuallyAsync(() => Task.FromResult(condition()));

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>A second node: the first node's database and data directory (so the same CA), its own process state.</summary>
    private sealed class SecondNode(MjpkiServer first) : MjpkiServer(StorageProvider.Postgres)
    {
        protected override string ServerConnectionString => first.ConnectionString;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Pki:DataDirectory", first.Root);
        }
    }
}
