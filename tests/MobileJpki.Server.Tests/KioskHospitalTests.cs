using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;
using MobileJpki.Ra;
using MobileJpki.Ra.Portal;

namespace MobileJpki.Server.Tests;

/// <summary>
/// コンビニ交付 and マイナ保険証 through the real server: the phone approves the terminal's challenge with the PIN, the
/// terminal gets a session of its own, and the document or eligibility is for exactly the session's person — also with
/// many sessions in parallel (the 2023 incident) — while any other session is refused.
/// </summary>
public abstract class KioskHospitalTests(MjpkiServer server)
{
    [Fact]
    public async Task Kiosk_PhoneLogin_SignedResidenceCopyOfThatPersonAndUsageRecorded()
    {
        var person = await PersonAsync("交付 一郎", "1970-07-07", "東京都港区芝公園4-2-8");

        var (session, document) = await KioskIssueAsync(person, "famima-0001");

        var content = await VerifyAsync(document);
        Assert.Equal((person.Card.Issued.PersonId, "交付 一郎", "1970-07-07", "東京都港区芝公園4-2-8", "male"), (content.PersonId, content.Person.Name, content.Person.BirthDate, content.Person.Address, content.Person.Gender));
        Assert.Equal((Kiosk.ResidenceCopy, "famima-0001", document.DocumentId), (content.Type, content.KioskId, content.DocumentId));
        Assert.Equal(person.Card.SigningCertificate.SerialNumber.ToLowerInvariant(), content.SourceCertificateSerial);
        Assert.Equal(SessionAudiences.Kiosk, session.Audience);

        // The person sees the kiosk login and the document in the usage log.
        var portal = await person.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var usage = await server.Api.GetUsageAsync(portal.Token, 0, 100, CancellationToken.None);
        Assert.Contains(usage.Items, u => u.Kind == UsageKinds.Kiosk && u.Party == "famima-0001" && u.Detail!.Contains(document.DocumentId, StringComparison.Ordinal));
        Assert.Equal(2, usage.Items.Count(u => u.Kind == UsageKinds.Kiosk));
    }

    [Fact]
    public async Task Kiosk_ManySessionsInParallel_EveryDocumentIsItsRequesters()
    {
        const int people = 50;
        var persons = new Person[people];
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, people).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    // Half hold their phone to the kiosk, half their card (kiosks accept both).
                    persons[i] = await PersonAsync($"並行 {i:D3}号", $"19{50 + i:D2}-0{1 + (i % 9)}-1{i % 10}", $"大阪府大阪市北区梅田{i}-1", withPhone: i % 2 == 0);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        // Every person at one of five kiosks, all at once, twice each: login, document, document.
        var results = await Task.WhenAll(persons.SelectMany((p, i) => new[] { (P: p, I: i), (P: p, I: i + people) }).Select(async x =>
        {
            var kiosk = $"lawson-{x.I % 5}";
            var (session, first) = await KioskIssueAsync(x.P, kiosk);
            var second = await server.Api.IssueKioskDocumentAsync(kiosk, null, session.Token, Kiosk.ResidenceCopy, CancellationToken.None);
            return (Person: x.P, Kiosk: kiosk, Documents: new[] { first, second });
        }));

        var keys = await server.Api.GetDocumentKeysAsync(CancellationToken.None);
        foreach (var (person, kiosk, documents) in results)
        {
            foreach (var document in documents)
            {
                var content = DocumentJws.Verify<ResidenceCertificateContent>(document.Jws, keys.Keys.Single());
                Assert.NotNull(content);
                Assert.Equal(person.Card.Issued.PersonId, content.PersonId);
                Assert.Equal(person.Name, content.Person.Name);
                Assert.Equal(person.Address, content.Person.Address);
                Assert.Equal(kiosk, content.KioskId);
            }
        }

        Assert.Equal(people * 4, results.SelectMany(r => r.Documents).Select(d => d.DocumentId).Distinct().Count());
        await using var db = server.OpenDb();
        foreach (var (person, _, documents) in results)
        {
            var personId = Guid.Parse(person.Card.Issued.PersonId);
            var mine = await db.Usage.AsNoTracking().Where(u => u.PersonId == personId && u.Kind == UsageKinds.Kiosk).Select(u => u.Detail!).ToListAsync();
            Assert.All(documents, d => Assert.Contains(mine, m => m.Contains(d.DocumentId, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Kiosk_OtherSessions_RefusedWithSessionInvalidAndNoDocument()
    {
        var alice = await PersonAsync("窓口 花子", "1988-08-08", "京都府京都市左京区1-1", "female");
        var bob = await PersonAsync("窓口 太郎", "1977-07-17", "京都府京都市右京区2-2");
        var (aliceSession, _) = await KioskIssueAsync(alice, "seven-001");
        var bobAtOtherKiosk = await TerminalLoginAsync(bob, "kiosks", "seven-002");
        var bobPortal = await bob.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);
        var bobHospital = await TerminalLoginAsync(bob, "hospitals", "seven-001");
        var documentsBefore = await KioskUsageCountAsync();

        // At kiosk seven-001: another person's session from another kiosk, a portal session, a hospital session, none.
        foreach (var token in new[] { bobAtOtherKiosk.Token, bobPortal.Token, bobHospital.Token, "forged", null })
        {
            using var response = await SendAsync(HttpMethod.Post, "/api/v1/kiosks/seven-001/documents", new KioskDocumentRequest(Kiosk.ResidenceCopy), token);
            var problem = await Problem.AssertAsync(response, 401, "session-invalid");
            Assert.DoesNotContain("窓口", problem.ToString(), StringComparison.Ordinal);
        }

        // A body naming Bob changes nothing: Alice's session gets Alice's document.
        using (var named = await SendAsync(HttpMethod.Post, "/api/v1/kiosks/seven-001/documents", new { type = Kiosk.ResidenceCopy, personId = bob.Card.Issued.PersonId, name = "窓口 太郎" }, aliceSession.Token))
        {
            var document = (await named.Content.ReadFromJsonAsync<KioskDocument>(ProtocolJson.Options))!;
            Assert.Equal(alice.Card.Issued.PersonId, (await VerifyAsync(document)).PersonId);
        }

        Assert.Equal(documentsBefore + 1, await KioskUsageCountAsync());

        // After logout the kiosk session is gone.
        await server.Api.TerminalLogoutAsync("kiosks", "seven-001", null, aliceSession.Token, CancellationToken.None);
        using var ended = await SendAsync(HttpMethod.Post, "/api/v1/kiosks/seven-001/documents", new KioskDocumentRequest(null), aliceSession.Token);
        await Problem.AssertAsync(ended, 401, "session-invalid");
    }

    [Fact]
    public async Task Kiosk_UnknownDocumentType_UnknownDocumentType()
    {
        var person = await PersonAsync("種類 次郎", "1966-06-06", "北海道札幌市中央区1-1");
        var session = await TerminalLoginAsync(person, "kiosks", "ministop-1");

        using var response = await SendAsync(HttpMethod.Post, "/api/v1/kiosks/ministop-1/documents", new KioskDocumentRequest("koseki"), session.Token);

        await Problem.AssertAsync(response, 400, "unknown-document-type");
    }

    [Fact]
    public async Task Hospital_PhoneLogin_EligibilityOfThatPersonDeterministicAndRecorded()
    {
        var person = await PersonAsync("保険 三郎", "1955-05-05", "愛知県名古屋市中区1-1");

        var session = await TerminalLoginAsync(person, "hospitals", "clinic-42");
        var first = await server.Api.CheckEligibilityAsync("clinic-42", null, session.Token, CancellationToken.None);
        var again = await server.Api.CheckEligibilityAsync("clinic-42", null, (await TerminalLoginAsync(person, "hospitals", "clinic-42")).Token, CancellationToken.None);

        Assert.Equal(person.Card.Issued.PersonId, first.PersonId);
        Assert.True(first.Eligible);
        Assert.Equal("clinic-42", first.HospitalId);
        var expected = Hospital.SampleFor(Guid.Parse(person.Card.Issued.PersonId), "clinic-42", first.CheckedAt);
        Assert.Equal(expected, first);
        Assert.Equal((first.InsurerNumber, first.InsuredSymbol, first.InsuredNumber, first.Branch, first.ValidFrom), (again.InsurerNumber, again.InsuredSymbol, again.InsuredNumber, again.Branch, again.ValidFrom));
        await using var db = server.OpenDb();
        var personId = Guid.Parse(person.Card.Issued.PersonId);
        Assert.Equal(4, await db.Usage.CountAsync(u => u.PersonId == personId && u.Kind == UsageKinds.Hospital && u.Party == "clinic-42"));
    }

    [Fact]
    public async Task Hospital_OtherSessions_RefusedWithSessionInvalid()
    {
        var alice = await PersonAsync("病院 花子", "1999-09-09", "広島県広島市中区1-1", "female");
        var bob = await PersonAsync("病院 太郎", "1944-04-04", "広島県広島市南区2-2");
        await TerminalLoginAsync(alice, "hospitals", "hospital-a");
        var bobElsewhere = await TerminalLoginAsync(bob, "hospitals", "hospital-b");
        var bobKiosk = await TerminalLoginAsync(bob, "kiosks", "hospital-a");
        var bobPortal = await bob.App.LoginAsync(PortalLoginTests.AuthPin, CancellationToken.None);

        foreach (var token in new[] { bobElsewhere.Token, bobKiosk.Token, bobPortal.Token, "forged" })
        {
            using var response = await SendAsync(HttpMethod.Get, "/api/v1/hospitals/hospital-a/eligibility", null, token);
            var problem = await Problem.AssertAsync(response, 401, "session-invalid");
            Assert.DoesNotContain(bob.Card.Issued.PersonId, problem.ToString(), StringComparison.Ordinal);
        }

        // A hospital session does not open the portal either.
        using var portal = await SendAsync(HttpMethod.Get, "/api/v1/portal/me", null, bobElsewhere.Token);
        await Problem.AssertAsync(portal, 401, "session-invalid");
    }

    [Fact]
    public async Task Terminal_ChallengeOfAnotherTerminalOrAudience_BadChallenge()
    {
        var person = await PersonAsync("端末 四郎", "1981-01-01", "宮城県仙台市青葉区1-1");
        var kioskChallenge = await server.Api.GetTerminalChallengeAsync("kiosks", "kiosk-x", null, CancellationToken.None);

        // Signed for kiosk-x, sent by kiosk-y; and sent to a hospital of the same id.
        var answer = person.App.ApproveTerminalLogin(kioskChallenge, PortalLoginTests.AuthPin);
        using var otherKiosk = await SendAsync(HttpMethod.Post, "/api/v1/kiosks/kiosk-y/sessions", answer, null);
        await Problem.AssertAsync(otherKiosk, 400, "bad-challenge");
        using var hospital = await SendAsync(HttpMethod.Post, "/api/v1/hospitals/kiosk-x/sessions", answer, null);
        await Problem.AssertAsync(hospital, 400, "bad-challenge");

        // The rightful kiosk can still use it.
        var session = await server.Api.TerminalLoginAsync("kiosks", "kiosk-x", null, answer, CancellationToken.None);
        Assert.Equal(("kiosk", "kiosk-x"), (session.Audience, session.Party));
    }

    /// <summary>The kiosk asks for a challenge, the phone approves it with the PIN, the kiosk logs in and asks for 住民票の写し.</summary>
    private async Task<(SessionView Session, KioskDocument Document)> KioskIssueAsync(Person person, string kioskId)
    {
        var session = await TerminalLoginAsync(person, "kiosks", kioskId);
        var document = await server.Api.IssueKioskDocumentAsync(kioskId, null, session.Token, Kiosk.ResidenceCopy, CancellationToken.None);
        return (session, document);
    }

    private async Task<SessionView> TerminalLoginAsync(Person person, string terminal, string id)
    {
        var challenge = await server.Api.GetTerminalChallengeAsync(terminal, id, null, CancellationToken.None);
        LoginRequest answer;
        if (person.PhoneApp is not null)
        {
            answer = person.App.ApproveTerminalLogin(challenge, PortalLoginTests.AuthPin);
        }
        else
        {
            // A card is in one reader at a time: the same person's visits to two kiosks take turns with it (interleaved
            // SELECT / VERIFY / SIGN from two readers would reset each other's PIN state, as on a real card).
            (byte[] certificate, byte[] signature) signed;
            lock (person.Card)
            {
                signed = CardLogin.Sign(person.Card.Card.Applet, "1234", LoginMessage.SignedBytes(challenge.Audience, challenge.Party, server.Api.Origin, challenge.Challenge));
            }

            var (certificate, signature) = signed;
            answer = new LoginRequest(challenge.Challenge, Convert.ToBase64String(certificate), Convert.ToBase64String(signature));
        }

        return await server.Api.TerminalLoginAsync(terminal, id, null, answer, CancellationToken.None);
    }

    private async Task<ResidenceCertificateContent> VerifyAsync(KioskDocument document)
    {
        var keys = await server.Api.GetDocumentKeysAsync(CancellationToken.None);
        var content = DocumentJws.Verify<ResidenceCertificateContent>(document.Jws, Assert.Single(keys.Keys));
        Assert.NotNull(content);

        // A changed payload no longer verifies.
        var parts = document.Jws.Split('.');
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(content with { PersonId = Guid.NewGuid().ToString() }, ProtocolJson.Options));
        Assert.Null(DocumentJws.Verify<ResidenceCertificateContent>($"{parts[0]}.{forged}.{parts[2]}", keys.Keys[0]));
        return content;
    }

    private async Task<int> KioskUsageCountAsync()
    {
        await using var db = server.OpenDb();
        return await db.Usage.CountAsync(u => u.Kind == UsageKinds.Kiosk);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ProtocolJson.Options);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Client.SendAsync(request);
    }

    private async Task<Person> PersonAsync(string name, string birthDate, string address, string gender = "male", bool withPhone = true)
    {
        var card = await server.IssueCardAsync(name, birthDate, gender, address);
        if (!withPhone)
        {
            return new Person(name, address, card, null);
        }

        var app = server.NewApp(server.NewPhone());
        await server.ApplyAndRegisterAsync(app, card, [Hierarchy.Auth]);
        return new Person(name, address, card, app);
    }

    /// <summary>A person with a card and, unless <see cref="PhoneApp"/> is null, a phone with its auth certificate registered.</summary>
    private sealed record Person(string Name, string Address, TestCard Card, PortalApp? PhoneApp)
    {
        public PortalApp App => PhoneApp ?? throw new InvalidOperationException("this person has no phone");
    }
}

/// <summary>On SQLite.</summary>
public sealed class SqliteKioskHospitalTests(MjpkiServer server) : KioskHospitalTests(server), IClassFixture<MjpkiServer>;

/// <summary>On PostgreSQL.</summary>
public sealed class PostgresKioskHospitalTests(PostgresMjpkiServer server) : KioskHospitalTests(server), IClassFixture<PostgresMjpkiServer>;

/// <summary>Configured terminals need their key; terminals that are not configured are refused outside sandbox mode.</summary>
public sealed class TerminalKeyTests(TerminalKeyTests.KeyedServer server) : IClassFixture<TerminalKeyTests.KeyedServer>
{
    private const string KioskKey = "kiosk-key-0123456789";

    [Fact]
    public async Task Challenge_ConfiguredKioskWithoutOrWithWrongKey_TerminalUnauthorized()
    {
        foreach (var key in new[] { null, "wrong-key-0123456789" })
        {
            var refused = await Assert.ThrowsAsync<AppException>(() => server.Api.GetTerminalChallengeAsync("kiosks", "store-1", key, CancellationToken.None));
            Assert.Equal("terminal-unauthorized", refused.Code);
        }

        var challenge = await server.Api.GetTerminalChallengeAsync("kiosks", "store-1", KioskKey, CancellationToken.None);
        Assert.Equal(("kiosk", "store-1"), (challenge.Audience, challenge.Party));

        // The kiosk's key is not a hospital's.
        var hospital = await Assert.ThrowsAsync<AppException>(() => server.Api.GetTerminalChallengeAsync("hospitals", "store-1", KioskKey, CancellationToken.None));
        Assert.Equal("terminal-unauthorized", hospital.Code);
    }

    [Fact]
    public async Task Challenge_UnconfiguredKioskOutsideSandbox_TerminalUnauthorized()
    {
        var refused = await Assert.ThrowsAsync<AppException>(() => server.Api.GetTerminalChallengeAsync("kiosks", "unknown-store", null, CancellationToken.None));

        Assert.Equal("terminal-unauthorized", refused.Code);
    }

    [Fact]
    public async Task Challenge_BadTerminalId_BadField()
    {
        var refused = await Assert.ThrowsAsync<AppException>(() => server.Api.GetTerminalChallengeAsync("kiosks", "a b", KioskKey, CancellationToken.None));

        Assert.Equal("bad-field", refused.Code);
    }

    /// <summary>Sandbox endpoints off for terminals: one kiosk configured with a key.</summary>
    public sealed class KeyedServer : MjpkiServer
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Sandbox:Enabled", "false");
            builder.UseSetting("Ra:SeMakerRoots:0", Security.TestSeMaker.Primary.RootPem);
            builder.UseSetting("Portal:Kiosks:store-1", KioskKey);
        }
    }
}
