using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;

namespace MobileJpki.Ra.Tests;

/// <summary>Every bad application is refused with its own error code, and nothing at all is stored.</summary>
public sealed class ApplicationRejectionTests : IAsyncLifetime
{
    private RaHarness _h = null!;
    private TestCard _card = null!;
    private TestPhone _phone = null!;

    public async Task InitializeAsync()
    {
        _h = new RaHarness();
        _card = await _h.IssueCardAsync(RaHarness.Yamada, 0);
        _phone = new TestPhone("phoneA", 0);
    }

    public Task DisposeAsync()
    {
        _h.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AcceptAsync_GarbageBytes_MalformedApplication()
    {
        var garbage = RandomNumberGenerator.GetBytes(300);
        garbage[0] = 0x30;

        await AssertRejectedAsync(garbage, "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_Empty_MalformedApplication()
    {
        await AssertRejectedAsync([], "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_Oversized_MalformedApplication()
    {
        var valid = _card.Sign(_phone.Apply(_h.Now, "sign", "auth"));
        var oversized = new byte[ApplicationVerifier.MaxCmsBytes + 1];
        valid.CopyTo(oversized, 0);

        await AssertRejectedAsync(oversized, "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_JsonContentNotCms_MalformedApplication()
    {
        await AssertRejectedAsync(_phone.Apply(_h.Now, "sign").ToJsonBytes(), "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_TamperedContent_BadSignature()
    {
        var json = _phone.Apply(_h.Now, "sign", "auth").ToJsonBytes();
        var cms = Cms.Sign(json, _card.SigningCertificate, _card.SigningKey);
        var at = cms.AsSpan().IndexOf(json);
        Assert.True(at > 0, "the JSON must be encapsulated verbatim");
        var os = json.AsSpan().IndexOf("Android"u8);
        cms[at + os] ^= 0x01; // "Android" becomes "@ndroid": still valid JSON and DER.

        await AssertRejectedAsync(cms, "bad-signature");
    }

    [Fact]
    public async Task AcceptAsync_SignedWithKeyNotMatchingCertificate_BadSignature()
    {
        // .NET refuses to sign with a key that does not match the certificate, so the forger signs with a twin
        // certificate (same issuer and serial, the forger's key) and then swaps in the genuine card certificate.
        var forger = TestKeys.Rsa(50);
        var twinRequest = new CertificateRequest(_card.SigningCertificate.SubjectName, forger, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var twinGenerator = X509SignatureGenerator.CreateForRSA(forger, RSASignaturePadding.Pkcs1);
        using var twin = twinRequest.Create(_card.SigningCertificate.IssuerName, twinGenerator, _h.Now.AddHours(-1), _h.Now.AddYears(1), _card.SigningCertificate.SerialNumberBytes.ToArray());
        var signed = new SignedCms();
        signed.Decode(Cms.Sign(_phone.Apply(_h.Now, "sign", "auth").ToJsonBytes(), twin, forger));
        signed.RemoveCertificate(twin);
        signed.AddCertificate(_card.SigningCertificate);
        var forged = signed.Encode();
        var check = new SignedCms();
        check.Decode(forged);
        Assert.Equal(_card.SigningCertificate.RawData, check.SignerInfos[0].Certificate?.RawData);

        await AssertRejectedAsync(forged, "bad-signature");
    }

    [Fact]
    public async Task AcceptAsync_SignatureBitFlipped_BadSignature()
    {
        var cms = _card.Sign(_phone.Apply(_h.Now, "sign", "auth"));
        cms[^1] ^= 0x01; // the signature value is the last field of the only SignerInfo

        await AssertRejectedAsync(cms, "bad-signature");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AcceptAsync_CardCertificateFromAnotherCa_ForeignCardCertificate(bool lookAlikeName)
    {
        var rootKey = TestKeys.Rsa(52);
        var rootName = lookAlikeName ? CaHierarchy.RootName(Hierarchy.Signing) : new X500DistinguishedName("CN=Evil JPKI, O=JPKI, C=JP");
        var rootRequest = new CertificateRequest(rootName, rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var fakeRoot = rootRequest.CreateSelfSigned(_h.Now.AddDays(-1), _h.Now.AddYears(10));

        var holderKey = TestKeys.Rsa(54);
        var leafRequest = new CertificateRequest(_card.SigningCertificate.SubjectName, holderKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(Der.PoliciesExtension(Oids.PolicyCardSigning));
        leafRequest.CertificateExtensions.Add(Basic4InfoCodec.ToSubjectAltName(RaHarness.Yamada));
        using var lookAlike = leafRequest.Create(fakeRoot, _h.Now.AddHours(-1), _h.Now.AddYears(1), _card.SigningCertificate.SerialNumberBytes.ToArray());

        var cms = Cms.Sign(_phone.Apply(_h.Now, "sign", "auth").ToJsonBytes(), lookAlike, holderKey);

        await AssertRejectedAsync(cms, "foreign-card-certificate");
    }

    [Fact]
    public async Task AcceptAsync_ExpiredCardCertificate_CardCertificateExpired()
    {
        _h.Time.SetUtcNow(new DateTimeOffset(_card.SigningCertificate.NotAfter.ToUniversalTime()).AddDays(1));

        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, "sign", "auth")), "card-certificate-expired");
    }

    [Fact]
    public async Task AcceptAsync_SignedWithCardAuthCertificate_NotCardSigningCertificate()
    {
        var cms = Cms.Sign(_phone.Apply(_h.Now, "sign", "auth").ToJsonBytes(), _card.AuthCertificate, _card.AuthKey);

        await AssertRejectedAsync(cms, "not-card-signing-certificate");
    }

    [Fact]
    public async Task AcceptAsync_CardCertificateNotOnRecord_UnknownCardCertificate()
    {
        // Genuinely signed by our CA, but never recorded: e.g. restored from another installation's backup.
        var issuer = new CertificateIssuer(_h.Ca, _h.Time);
        var holderKey = TestKeys.Rsa(56);
        var der = issuer.Issue(new IssueRequest(CertificateKind.CardSigning, holderKey.ExportSubjectPublicKeyInfo(), RaHarness.Yamada, RaHarness.Yamada.BirthDate, null));
        using var unrecorded = X509CertificateLoader.LoadCertificate(der);

        await AssertRejectedAsync(Cms.Sign(_phone.Apply(_h.Now, "sign").ToJsonBytes(), unrecorded, holderKey), "unknown-card-certificate");
    }

    [Fact]
    public async Task AcceptAsync_RevokedCardCertificate_CardCertificateRevoked()
    {
        await using (var db = _h.Database.Open())
        {
            await db.Certificates.Where(c => c.Serial == _card.SigningSerial)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, (int)CertificateStatus.Revoked));
        }

        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, "sign")), "card-certificate-revoked");
    }

    [Theory]
    [InlineData(-11)]
    [InlineData(11)]
    [InlineData(-24 * 60)]
    public async Task AcceptAsync_CreatedAtOutsideSkew_StaleApplication(int minutes)
    {
        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now.AddMinutes(minutes), "sign", "auth")), "stale-application");
    }

    [Fact]
    public async Task AcceptAsync_CreatedAtWithinSkew_Accepted()
    {
        await _h.Ra.AcceptAsync(_card.Sign(_phone.Apply(_h.Now.AddMinutes(-9), "sign", "auth")), CancellationToken.None);

        Assert.Equal(1, (await _h.Database.CountsAsync()).Applications);
    }

    [Fact]
    public async Task AcceptAsync_ReplayedNonce_ReplayedApplicationAndOneRow()
    {
        var cms = _card.Sign(_phone.Apply(_h.Now, "sign", "auth"));
        await _h.Ra.AcceptAsync(cms, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromMinutes(1));

        var ex = await AssertRejectedAsync(cms, "replayed-application");

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Equal(1, (await _h.Database.CountsAsync()).Applications);
    }

    [Fact]
    public async Task AcceptAsync_SameNonceInNewlySignedApplication_ReplayedApplication()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        await _h.Ra.AcceptAsync(_card.Sign(_phone.Apply(_h.Now, nonce, "sign")), CancellationToken.None);

        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, nonce, "auth")), "replayed-application");
    }

    [Fact]
    public async Task AcceptAsync_UnsupportedModel_UnsupportedModel()
    {
        var phone = new TestPhone("phoneA", 0, model: "galaxy-s3");

        await AssertRejectedAsync(_card.Sign(phone.Apply(_h.Now, "sign", "auth")), "unsupported-model");
    }

    [Theory]
    [InlineData("ab-cd")]
    [InlineData("")]
    [InlineData("phone id")]
    public async Task AcceptAsync_BadPhoneId_MalformedApplication(string phoneId)
    {
        var phone = new TestPhone(phoneId, 0);

        await AssertRejectedAsync(_card.Sign(phone.Apply(_h.Now, "sign")), "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_UnknownKind_BadKinds()
    {
        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, "signing")), "bad-kinds");
    }

    [Fact]
    public async Task AcceptAsync_DuplicateKind_BadKinds()
    {
        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, "sign", "sign")), "bad-kinds");
    }

    [Fact]
    public async Task AcceptAsync_NoKeys_BadKinds()
    {
        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now)), "bad-kinds");
    }

    [Fact]
    public async Task AcceptAsync_ThreeKeys_BadKinds()
    {
        await AssertRejectedAsync(_card.Sign(_phone.Apply(_h.Now, "sign", "auth", "auth")), "bad-kinds");
    }

    [Fact]
    public async Task AcceptAsync_Rsa1024Key_BadKey()
    {
        using var weak = RSA.Create(1024);
        var nonce = RandomNumberGenerator.GetBytes(32);
        var application = _phone.Apply(_h.Now, nonce, "sign") with
        {
            Keys = [_phone.Key("sign", weak, EnrollmentApplication.AttestationChallenge(nonce))],
        };

        await AssertRejectedAsync(_card.Sign(application), "bad-key");
    }

    [Fact]
    public async Task AcceptAsync_AttestationForAnotherChallenge_BadAttestation()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var otherChallenge = EnrollmentApplication.AttestationChallenge(RandomNumberGenerator.GetBytes(32));
        var application = _phone.Apply(_h.Now, nonce, "sign") with { Keys = [_phone.Key("sign", _phone.SigningKey, otherChallenge)] };

        await AssertRejectedAsync(_card.Sign(application), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_AttestationOfAnotherKey_BadAttestation()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var challenge = EnrollmentApplication.AttestationChallenge(nonce);
        var attestedOther = _phone.Key("sign", _phone.AuthKey, challenge);
        var application = _phone.Apply(_h.Now, nonce, "sign") with
        {
            Keys = [attestedOther with { PublicKey = Convert.ToBase64String(_phone.SigningSpki) }],
        };

        await AssertRejectedAsync(_card.Sign(application), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_ImportedKey_BadAttestation()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var application = _phone.Apply(_h.Now, nonce, "sign") with
        {
            Keys = [_phone.Key("sign", _phone.SigningKey, EnrollmentApplication.AttestationChallenge(nonce), KeyOrigin.Imported)],
        };

        await AssertRejectedAsync(_card.Sign(application), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_ChainFromAnotherMaker_BadAttestation()
    {
        var phone = new TestPhone("phoneA", 0, maker: SeMaker.Other);

        await AssertRejectedAsync(_card.Sign(phone.Apply(_h.Now, "sign", "auth")), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_ChainFromLookAlikeMaker_BadAttestation()
    {
        var phone = new TestPhone("phoneA", 0, maker: SeMaker.Impostor);

        await AssertRejectedAsync(_card.Sign(phone.Apply(_h.Now, "sign", "auth")), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_AttestationWithoutDeviceCertificate_BadAttestation()
    {
        var application = _phone.Apply(_h.Now, "sign");
        application = application with { Keys = [application.Keys[0] with { Attestation = [application.Keys[0].Attestation[0]] }] };

        await AssertRejectedAsync(_card.Sign(application), "bad-attestation");
    }

    [Fact]
    public async Task AcceptAsync_ShortDeviceSecretHash_MalformedApplication()
    {
        var application = _phone.Apply(_h.Now, "sign") with { DeviceSecretHash = Convert.ToBase64String(new byte[16]) };

        await AssertRejectedAsync(_card.Sign(application), "malformed-application");
    }

    [Fact]
    public async Task AcceptAsync_BadEmail_BadEmail()
    {
        var application = _phone.Apply(_h.Now, "sign") with { Email = "no-at-sign.example.jp" };

        await AssertRejectedAsync(_card.Sign(application), "bad-email");
    }

    [Fact]
    public async Task AcceptAsync_EveryCheckPassed_IsTheControlCase()
    {
        // The fixtures above differ from this one in a single respect each; this proves the fixture itself is good.
        await _h.Ra.AcceptAsync(_card.Sign(_phone.Apply(_h.Now, "sign", "auth")), CancellationToken.None);

        Assert.Equal(1, (await _h.Database.CountsAsync()).Applications);
    }

    private async Task<MjpkiException> AssertRejectedAsync(byte[] cms, string code)
    {
        var before = await _h.Database.CountsAsync();

        var ex = await Assert.ThrowsAsync<MjpkiException>(() => _h.Ra.AcceptAsync(cms, CancellationToken.None));

        Assert.Equal(code, ex.Code);
        Assert.Equal(before, await _h.Database.CountsAsync());
        return ex;
    }
}
