using MobileJpki.App;

namespace MobileJpki.Server.Tests;

/// <summary>An expired card certificate cannot apply. Its own server: the clock jumps years ahead.</summary>
public sealed class ExpiredCardTests(MjpkiServer server) : IClassFixture<MjpkiServer>
{
    [Fact]
    public async Task ApplyAsync_CardCertificateExpired_400CardCertificateExpiredNothingStored()
    {
        var card = await server.IssueCardAsync(birthDate: "1970-01-01");
        using var cardSign = card.SigningCertificate;
        var notAfter = new DateTimeOffset(cardSign.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        Assert.True(notAfter > server.Clock.GetUtcNow());

        // Past the card's NotAfter, and inside the window so only the card can be the reason.
        await server.SetClockAsync(ProcessingWindowTests.NextJst(notAfter.AddDays(1), new TimeOnly(10, 0)));
        Assert.True(server.Clock.GetUtcNow() > notAfter);
        var before = await server.CountsAsync();
        var (client, recorder) = server.CreateRecordingClient();
        using (client)
        {
            var app = server.NewApp(server.NewPhone(), client: client);

            var ex = await Assert.ThrowsAsync<AppException>(() => app.ApplyAsync(card.Card.Applet, MjpkiServer.Answers(card.Password), CancellationToken.None));

            Assert.Equal("card-certificate-expired", ex.Code);
            var (status, body) = recorder.LastFor("/api/v1/applications");
            Assert.Equal(400, status);
            Problem.AssertBody(body, "card-certificate-expired");
        }

        Assert.Equal(before, await server.CountsAsync());

        // A card issued now, at the moved clock, is accepted: the clock, not the server, made the difference.
        var renewed = await server.IssueCardAsync(birthDate: "1970-01-01");
        var receipt = await server.NewApp(server.NewPhone()).ApplyAsync(renewed.Card.Applet, MjpkiServer.Answers(renewed.Password), CancellationToken.None);
        Assert.Equal("queued", receipt.Status);
    }
}
