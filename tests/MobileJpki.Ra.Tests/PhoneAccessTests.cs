using MobileJpki.Core;

namespace MobileJpki.Ra.Tests;

/// <summary>Phone authentication, 利用登録 (registration) and notices.</summary>
public sealed class PhoneAccessTests : IAsyncLifetime
{
    private RaHarness _h = null!;
    private TestCard _card = null!;
    private TestPhone _phone = null!;

    public async Task InitializeAsync()
    {
        _h = new RaHarness();
        _card = await _h.IssueCardAsync(RaHarness.Yamada, 0);
        _phone = new TestPhone("phoneA", 0);
        await _h.ApplyAsync(_card, _phone);
        await _h.ProcessAsync();
    }

    public Task DisposeAsync()
    {
        _h.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AuthenticatePhoneAsync_RightSecret_ReturnsPhone()
    {
        var phone = await _h.AuthenticateAsync(_phone);

        Assert.Equal("phoneA", phone.PhoneId);
        Assert.Equal(_card.PersonId, phone.PersonId);
    }

    [Fact]
    public async Task AuthenticatePhoneAsync_WrongSecretOrUnknownPhone_SamePhoneUnauthorized()
    {
        var wrongSecret = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.AuthenticatePhoneAsync("phoneA", _phone.Secret + "x", CancellationToken.None));
        var unknownPhone = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.AuthenticatePhoneAsync("phoneZ", _phone.Secret, CancellationToken.None));

        Assert.Equal("phone-unauthorized", wrongSecret.Code);
        Assert.Equal(ErrorKind.Unauthorized, wrongSecret.Kind);
        Assert.Equal(wrongSecret.Code, unknownPhone.Code);
        Assert.Equal(wrongSecret.Kind, unknownPhone.Kind);
        Assert.Equal(wrongSecret.Message, unknownPhone.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task AuthenticatePhoneAsync_MissingSecret_PhoneUnauthorized(string? secret)
    {
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.AuthenticatePhoneAsync("phoneA", secret, CancellationToken.None));

        Assert.Equal("phone-unauthorized", ex.Code);
    }

    [Fact]
    public async Task AuthenticatePhoneAsync_OverlongPhoneId_PhoneUnauthorized()
    {
        var ex = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.AuthenticatePhoneAsync(new string('a', 65), _phone.Secret, CancellationToken.None));

        Assert.Equal("phone-unauthorized", ex.Code);
    }

    [Fact]
    public async Task RegisterAsync_IssuedSerials_BecomeActive()
    {
        var serials = (await _h.CertificatesOfPhoneAsync("phoneA")).Select(c => c.Serial).ToArray();

        var changed = await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), serials, CancellationToken.None);

        Assert.Equal(2, changed);
        Assert.All(await _h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal((int)CertificateStatus.Active, c.Status));
        Assert.Equal(0, await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), serials, CancellationToken.None));
    }

    [Fact]
    public async Task RegisterAsync_SerialOfAnotherPhone_UnknownCertificate()
    {
        var other = await _h.IssueCardAsync(RaHarness.Suzuki, 1);
        var otherPhone = new TestPhone("phoneB", 1);
        await _h.ApplyAsync(other, otherPhone);
        await _h.ProcessAsync();
        var foreignSerial = (await _h.CertificatesOfPhoneAsync("phoneB"))[0].Serial;
        var phone = await _h.AuthenticateAsync(_phone);

        var ex = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.RegisterAsync(phone, [foreignSerial], CancellationToken.None));

        Assert.Equal("unknown-certificate", ex.Code);
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.All(await _h.CertificatesOfPhoneAsync("phoneB"), c => Assert.Equal((int)CertificateStatus.Issued, c.Status));
    }

    [Fact]
    public async Task RegisterAsync_CardCertificateSerial_UnknownCertificate()
    {
        var ex = await Assert.ThrowsAsync<MjpkiException>(async () =>
            await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), [_card.SigningSerial], CancellationToken.None));

        Assert.Equal("unknown-certificate", ex.Code);
    }

    [Fact]
    public async Task RegisterAsync_RevokedCertificate_NotRegistrable()
    {
        var oldSerials = (await _h.CertificatesOfPhoneAsync("phoneA")).Select(c => c.Serial).ToArray();
        await _h.ApplyAsync(_card, new TestPhone("phoneB", 1));
        await _h.ProcessAsync();

        var ex = await Assert.ThrowsAsync<MjpkiException>(async () =>
            await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), oldSerials, CancellationToken.None));

        Assert.Equal("not-registrable", ex.Code);
        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.All(await _h.CertificatesOfPhoneAsync("phoneA"), c => Assert.Equal((int)CertificateStatus.Revoked, c.Status));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task RegisterAsync_WrongNumberOfSerials_BadRegistration(int count)
    {
        var serials = Enumerable.Range(0, count).Select(i => i.ToString("x2")).ToArray();

        var ex = await Assert.ThrowsAsync<MjpkiException>(async () =>
            await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), serials, CancellationToken.None));

        Assert.Equal("bad-registration", ex.Code);
    }

    [Fact]
    public async Task RegisterAsync_UppercaseSerial_BadRegistration()
    {
        var serial = (await _h.CertificatesOfPhoneAsync("phoneA"))[0].Serial.ToUpperInvariant();

        var ex = await Assert.ThrowsAsync<MjpkiException>(async () =>
            await _h.Ra.RegisterAsync(await _h.AuthenticateAsync(_phone), [serial], CancellationToken.None));

        Assert.Equal("bad-registration", ex.Code);
    }

    [Fact]
    public async Task GetNotificationsAsync_AfterLastSeenId_ReturnsOnlyNewer()
    {
        var phone = await _h.AuthenticateAsync(_phone);
        var first = Assert.Single(await _h.Ra.GetNotificationsAsync(phone, 0, CancellationToken.None));
        Assert.Equal(Notices.IssuedType, first.Type);

        Assert.Empty(await _h.Ra.GetNotificationsAsync(phone, first.Id, CancellationToken.None));
        await _h.ApplyAsync(_card, _phone, "auth");
        await _h.ProcessAsync();

        var next = Assert.Single(await _h.Ra.GetNotificationsAsync(phone, first.Id, CancellationToken.None));
        Assert.True(next.Id > first.Id);
    }
}
