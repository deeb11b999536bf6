using Microsoft.Extensions.Time.Testing;
using MobileJpki.Core;
using MobileJpki.Ra;

namespace MobileJpki.Ra.Tests.Authentication;

/// <summary>
/// A session is good only while its certificate is: the status and end of validity the store reads with the session
/// decide on every use, whatever the session's own expiry says.
/// </summary>
public sealed class SessionServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Require_ActiveUnexpiredCertificate_ReturnsTheSession()
    {
        var (service, store, _) = Open();
        var (token, session) = await service.OpenAsync(Who(Now.AddYears(1)), SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        store.Certificates[session.CertificateSerial] = (CertificateStatus.Active, Now.AddYears(1));

        var found = await service.RequireAsync(token, SessionAudiences.Portal, CancellationToken.None);

        Assert.Equal((session.TokenHash, session.PersonId), (found.TokenHash, found.PersonId));
    }

    [Theory]
    [InlineData(CertificateStatus.Suspended)]
    [InlineData(CertificateStatus.Revoked)]
    [InlineData(CertificateStatus.Issued)]
    [InlineData(CertificateStatus.Pending)]
    public async Task Require_CertificateNoLongerActive_SessionInvalid(CertificateStatus status)
    {
        var (service, store, _) = Open();
        var (token, session) = await service.OpenAsync(Who(Now.AddYears(1)), SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        store.Certificates[session.CertificateSerial] = (status, Now.AddYears(1));

        var refused = await Assert.ThrowsAsync<MjpkiException>(() => service.RequireAsync(token, SessionAudiences.Portal, CancellationToken.None));

        Assert.Equal((ErrorKind.Unauthorized, "session-invalid"), (refused.Kind, refused.Code));
    }

    [Fact]
    public async Task Require_CertificateExpiredWhileTheSessionWouldStillRun_SessionInvalid()
    {
        // The record's end of validity is authoritative, even if the session was stored with a later expiry.
        var (service, store, clock) = Open();
        var (token, session) = await service.OpenAsync(Who(Now.AddYears(1)), SessionAudiences.Kiosk, "kiosk-1", TimeSpan.FromMinutes(30), CancellationToken.None);
        store.Certificates[session.CertificateSerial] = (CertificateStatus.Active, Now.AddMinutes(10));
        Assert.Equal(session.TokenHash, (await service.RequireAsync(token, SessionAudiences.Kiosk, CancellationToken.None)).TokenHash);

        clock.Advance(TimeSpan.FromMinutes(10));

        var refused = await Assert.ThrowsAsync<MjpkiException>(() => service.RequireAsync(token, SessionAudiences.Kiosk, CancellationToken.None));
        Assert.Equal("session-invalid", refused.Code);
    }

    [Fact]
    public async Task Require_CertificateRecordMissing_SessionInvalid()
    {
        var (service, _, _) = Open();
        var (token, _) = await service.OpenAsync(Who(Now.AddYears(1)), SessionAudiences.Hospital, "clinic-1", TimeSpan.FromMinutes(5), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<MjpkiException>(() => service.RequireAsync(token, SessionAudiences.Hospital, CancellationToken.None));

        Assert.Equal("session-invalid", refused.Code);
    }

    [Fact]
    public void Prepare_SessionNeverOutlivesItsCertificate()
    {
        var (_, session) = SessionService.Prepare(Who(Now.AddMinutes(3)), SessionAudiences.Portal, null, TimeSpan.FromMinutes(30), Now);

        Assert.Equal(Now.AddMinutes(3), session.ExpiresAt);
    }

    [Theory]
    [InlineData(CertificateStatus.Active, 1, true)]
    [InlineData(CertificateStatus.Active, 0, false)]
    [InlineData(CertificateStatus.Active, -1, false)]
    [InlineData(CertificateStatus.Suspended, 1, false)]
    [InlineData(CertificateStatus.Revoked, 1, false)]
    [InlineData(null, 1, false)]
    public void CertificateValidity_ActiveAndBeforeNotAfterOnly(CertificateStatus? status, int secondsLeft, bool valid)
    {
        Assert.Equal(valid, CertificateValidity.IsValid(status, Now.AddSeconds(secondsLeft), Now));
        Assert.False(CertificateValidity.IsValid(status, null, Now));
    }

    private static AuthenticatedCertificate Who(DateTimeOffset notAfter) =>
        new(Guid.NewGuid(), Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), CertificateKind.PhoneAuth, [0x30], notAfter, "phone-1");

    private static (SessionService Service, MemorySessions Store, FakeTimeProvider Clock) Open()
    {
        var clock = new FakeTimeProvider(Now);
        var store = new MemorySessions();
        return (new SessionService(store, clock), store, clock);
    }

    /// <summary>Sessions and the certificates' current state, as the database would answer the joined read.</summary>
    private sealed class MemorySessions : ISessionStore
    {
        private readonly Dictionary<string, SessionRecord> _sessions = new(StringComparer.Ordinal);

        public Dictionary<string, (CertificateStatus Status, DateTimeOffset NotAfter)> Certificates { get; } = new(StringComparer.Ordinal);

        public Task AddAsync(SessionRecord session, CancellationToken ct)
        {
            _sessions.Add(session.TokenHash, session);
            return Task.CompletedTask;
        }

        public Task<SessionLookup?> GetAsync(string tokenHash, CancellationToken ct)
        {
            if (!_sessions.TryGetValue(tokenHash, out var session))
            {
                return Task.FromResult<SessionLookup?>(null);
            }

            var known = Certificates.TryGetValue(session.CertificateSerial, out var c);
            return Task.FromResult<SessionLookup?>(new SessionLookup(session, known ? c.Status : null, known ? c.NotAfter : null));
        }

        public Task EndAsync(string tokenHash, DateTimeOffset at, CancellationToken ct)
        {
            _sessions[tokenHash] = _sessions[tokenHash] with { EndedAt = at };
            return Task.CompletedTask;
        }
    }
}
