using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;

namespace MobileJpki.Server.Tests;

/// <summary>The seed's 19:30 rule: later applications are processed at the next day's opening (08:00 JST).</summary>
public sealed class ProcessingWindowTests(MjpkiServer server) : IClassFixture<MjpkiServer>
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    [Fact]
    public async Task Apply_AtCutoff1930Jst_QueuedUntilNextDayOpeningThenIssued()
    {
        var card = await server.IssueCardAsync();
        var phone = server.NewPhone();
        var app = server.NewApp(phone);

        // Exactly 19:30 JST, the first instant after the cut-off.
        var cutoff = NextJst(server.Clock.GetUtcNow(), new TimeOnly(19, 30));
        var clock = await server.SetClockAsync(cutoff);
        Assert.False(clock.WindowOpen);
        var expectedDue = new DateTimeOffset(cutoff.ToOffset(Jst).Date.AddDays(1).AddHours(8), Jst);
        Assert.Equal(expectedDue, clock.NextOpening);

        var receipt = await app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);

        Assert.Equal(expectedDue, receipt.ProcessAfter);
        Assert.Equal(new TimeOnly(8, 0), TimeOnly.FromDateTime(receipt.ProcessAfter.ToOffset(Jst).DateTime));
        Assert.True(receipt.AcceptedAt >= cutoff);
        Assert.Contains("19:30", receipt.Message, StringComparison.Ordinal);

        // A processing round now issues nothing: the application is not due.
        Assert.Equal(0, await server.Services.GetRequiredService<RegistrationAuthority>().ProcessDueAsync(CancellationToken.None));
        var status = await app.SyncAsync(CancellationToken.None);
        var queued = Assert.Single(status.Applications);
        Assert.Equal("queued", queued.Status);
        Assert.Empty(status.Certificates);
        await using (var db = server.OpenDb())
        {
            var row = await db.Applications.SingleAsync(a => a.Id == Guid.Parse(receipt.ApplicationId));
            Assert.Equal((int)ApplicationStatus.Queued, row.Status);
            Assert.Equal(expectedDue, row.ProcessAfter);
            Assert.Equal(0, await db.Certificates.CountAsync(c => c.PhoneId == phone.PhoneId));
        }

        // 利用登録 before issue is refused with the due time.
        var early = await Assert.ThrowsAsync<AppException>(() => app.RegisterAsync(CancellationToken.None));
        Assert.Equal("not-issued-yet", early.Code);
        Assert.Contains(expectedDue.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), early.Message, StringComparison.Ordinal);

        // The next opening comes: the worker issues it and the push notification arrives (long-poll).
        var opened = await server.ToOpeningAsync();
        Assert.True(opened.WindowOpen);
        Assert.InRange(opened.Now, expectedDue, expectedDue.AddMinutes(1));
        var notice = await WaitForNoticeAsync(phone.PhoneId, phone.App.Values["deviceSecret"], "issued");
        Assert.Equal(receipt.ApplicationId, notice.ApplicationId);
        Assert.True(notice.CreatedAt >= expectedDue);

        var certs = await app.RegisterAsync(CancellationToken.None);
        Assert.Equal(2, certs.Count);
        Assert.All(certs, c => Assert.InRange(c.NotBefore.ToUniversalTime(), expectedDue.UtcDateTime.AddHours(-1), expectedDue.UtcDateTime.AddMinutes(5)));
        await using (var db = server.OpenDb())
        {
            var row = await db.Applications.SingleAsync(a => a.Id == Guid.Parse(receipt.ApplicationId));
            Assert.Equal((int)ApplicationStatus.Issued, row.Status);
            Assert.True(row.CompletedAt >= expectedDue);
        }
    }

    [Fact]
    public async Task Apply_JustBeforeCutoff_IsDueAtOnce()
    {
        var card = await server.IssueCardAsync();
        var app = server.NewApp(server.NewPhone());
        var beforeCutoff = NextJst(server.Clock.GetUtcNow().AddMinutes(5), new TimeOnly(19, 30)).AddMinutes(-5);
        await server.SetClockAsync(beforeCutoff);

        var receipt = await app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None);

        Assert.Equal(receipt.AcceptedAt, receipt.ProcessAfter);
        var notice = await app.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(receipt.ApplicationId, notice.ApplicationId);
    }

    /// <summary>The next instant strictly after <paramref name="after"/> at <paramref name="time"/> JST.</summary>
    internal static DateTimeOffset NextJst(DateTimeOffset after, TimeOnly time)
    {
        var local = after.ToOffset(Jst);
        var candidate = new DateTimeOffset(local.Date + time.ToTimeSpan(), Jst);
        return candidate > after ? candidate : candidate.AddDays(1);
    }

    private async Task<PhoneNotification> WaitForNoticeAsync(string phoneId, string secret, string type)
    {
        long after = 0;
        for (var round = 0; round < 10; round++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/phones/{phoneId}/notifications?after={after}&wait=30");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var notes = (await response.Content.ReadFromJsonAsync<PhoneNotification[]>(ProtocolJson.Options))!;
            if (notes.FirstOrDefault(n => n.Type == type) is { } found)
            {
                return found;
            }

            after = notes.Length > 0 ? notes.Max(n => n.Id) : after;
        }

        throw new Xunit.Sdk.XunitException($"no '{type}' notification for {phoneId}");
    }
}
