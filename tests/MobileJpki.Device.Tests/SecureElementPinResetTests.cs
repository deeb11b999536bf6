using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Delegation;
using MobileJpki.Core.SeManagement;
using static MobileJpki.Device.Tests.TestPhones;

namespace MobileJpki.Device.Tests;

/// <summary>
/// The SE's PIN rules at APDU level (docs/secure-element.md, "PIN reset authorisation"): SET PIN only where no PIN
/// exists; RESET PIN only with the server's authorisation for this SE's key, this PIN and the outstanding challenge;
/// every refusal has its own status word and changes nothing; locked stays locked otherwise.
/// </summary>
public sealed class SecureElementPinResetTests
{
    private const string NewSigningPassword = "RESET2026";
    private const string NewAuthPin = "8642";

    private readonly FakeTimeProvider clock = Clock();
    private readonly VirtualPhone phone;
    private readonly SecureElementClient client;
    // One server's SE management certificates for every test (key generation is the slow part); its own clock stays at Now.
    private static readonly Lazy<DelegatedCertificates<DelegatedSigner>> SharedManagement = new(() => Management(Clock()));

    // Registered phones are copied from two files made once: a fresh SE costs three RSA key generations.
    private static readonly Lazy<byte[]> Template = new(MakeTemplate);
    private static readonly Lazy<byte[]> OtherTemplate = new(MakeTemplate);

    private readonly DelegatedCertificates<DelegatedSigner> management = SharedManagement.Value;

    public SecureElementPinResetTests()
    {
        phone = Copy(Template.Value, clock);
        client = Client(phone);
    }

    /// <summary>Each way an authorisation can be wrong, with the status word the SE must answer.</summary>
    public enum Forgery
    {
        NoChallengeAsked,
        AnotherChallenge,
        AnotherSecureElement,
        AnotherKind,
        WrongExtendedKeyUsage,
        SignedByTheCaItself,
        SignedByAnotherKey,
        ManagementCertificateOfAnotherCa,
        Expired,
        NotYetValid,
        Truncated,
        Malformed,
        WrongVersion,
        TrailingGarbageInsteadOfPin,
        NoPin,
    }

    public static TheoryData<PinKind, Forgery, ushort> Forgeries()
    {
        var data = new TheoryData<PinKind, Forgery, ushort>();
        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            data.Add(kind, Forgery.NoChallengeAsked, StatusWords.ConditionsNotSatisfied);
            data.Add(kind, Forgery.AnotherChallenge, StatusWords.ConditionsNotSatisfied);
            data.Add(kind, Forgery.AnotherSecureElement, StatusWords.ReferencedDataNotFound);
            data.Add(kind, Forgery.AnotherKind, StatusWords.DataInconsistentWithP1P2);
            data.Add(kind, Forgery.WrongExtendedKeyUsage, StatusWords.SecurityStatusNotSatisfied);
            data.Add(kind, Forgery.SignedByTheCaItself, StatusWords.SecurityStatusNotSatisfied);
            data.Add(kind, Forgery.SignedByAnotherKey, StatusWords.AuthenticationFailed);
            data.Add(kind, Forgery.ManagementCertificateOfAnotherCa, StatusWords.AuthenticationFailed);
            data.Add(kind, Forgery.Expired, StatusWords.ReferenceDataNotUsable);
            data.Add(kind, Forgery.NotYetValid, StatusWords.ReferenceDataNotUsable);
            data.Add(kind, Forgery.Truncated, StatusWords.WrongLength);
            data.Add(kind, Forgery.Malformed, StatusWords.WrongData);
            data.Add(kind, Forgery.WrongVersion, StatusWords.WrongData);
            data.Add(kind, Forgery.TrailingGarbageInsteadOfPin, StatusWords.WrongData);
            data.Add(kind, Forgery.NoPin, StatusWords.WrongData);
        }

        return data;
    }

    [Theory]
    [InlineData(PinKind.Signing, false)]
    [InlineData(PinKind.Signing, true)]
    [InlineData(PinKind.Auth, false)]
    [InlineData(PinKind.Auth, true)]
    public void ResetPin_ServerAuthorisation_NewPinWithFullCounterLockedOrNot(PinKind kind, bool locked)
    {
        if (locked)
        {
            Lock(kind);
        }
        else
        {
            client.Jpki.SelectAp();
            client.Jpki.Verify(kind, Wrong(kind));
        }

        var challenge = client.GetChallenge();
        client.ResetPin(kind, New(kind), Grant(phone, kind, challenge, management.For(Hierarchy(kind))));

        client.Jpki.SelectAp();
        Assert.Equal(JpkiFiles.MaxTries(kind), client.Jpki.GetPinStatus(kind).TriesLeft);
        Assert.False(client.Jpki.Verify(kind, Old(kind)).Verified);
        Assert.True(client.Jpki.Verify(kind, New(kind)).Verified);
        Assert.True(Signs(kind, New(kind)));
        Assert.True(phone.SecureElement.HasCertificate(kind));
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void ResetPin_ForgedOrForeignAuthorisation_OwnStatusWordNothingChangedStillLocked(PinKind kind, Forgery forgery, ushort expected)
    {
        Lock(kind);
        var before = Snapshot(phone);

        var data = Forge(kind, forgery);
        var response = client.ResetPinRaw(kind, data);

        Assert.Equal(expected, response.Sw);
        Assert.Equal(before, Snapshot(phone));
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.Verify(kind, Old(kind)).Locked);
        Assert.True(client.Jpki.Verify(kind, New(kind)).Locked);
        Assert.False(Signs(kind, New(kind)));
        Assert.False(Signs(kind, Old(kind)));
    }

    [Theory]
    [InlineData(PinKind.Signing)]
    [InlineData(PinKind.Auth)]
    public void ResetPin_Replayed_RefusedAfterItsOneUse(PinKind kind)
    {
        Lock(kind);
        var grant = Grant(phone, kind, client.GetChallenge(), management.For(Hierarchy(kind)));
        client.ResetPin(kind, New(kind), grant);
        Lock(kind);
        var before = Snapshot(phone);
        var another = Wire(kind, kind == PinKind.Signing ? "REPLAY99" : "9753");

        // The same authorisation again, with no challenge outstanding, and after a fresh one was asked for.
        Assert.Equal(StatusWords.ConditionsNotSatisfied, client.ResetPinRaw(kind, [.. grant, .. another]).Sw);
        client.GetChallenge();
        Assert.Equal(StatusWords.ConditionsNotSatisfied, client.ResetPinRaw(kind, [.. grant, .. another]).Sw);

        Assert.Equal(before, Snapshot(phone));
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.GetPinStatus(kind).Locked);
    }

    [Fact]
    public void ResetPin_FailedTry_UsesTheChallengeUp()
    {
        Lock(PinKind.Signing);
        var challenge = client.GetChallenge();
        var grant = Grant(phone, PinKind.Signing, challenge, management.For(MobileJpki.Core.Hierarchy.Signing));

        // A bad try (malformed PIN) spends the challenge: the good authorisation for it is then refused too.
        Assert.Equal(StatusWords.WrongData, client.ResetPinRaw(PinKind.Signing, [.. grant, .. "lower"u8]).Sw);
        Assert.Equal(StatusWords.ConditionsNotSatisfied, client.ResetPinRaw(PinKind.Signing, [.. grant, .. Wire(PinKind.Signing, NewSigningPassword)]).Sw);
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.GetPinStatus(PinKind.Signing).Locked);
    }

    [Fact]
    public void ResetPin_AuthorisationForOneKind_DoesNotResetTheOther()
    {
        Lock(PinKind.Signing);
        Lock(PinKind.Auth);
        var challenge = client.GetChallenge();
        var authGrant = Grant(phone, PinKind.Auth, challenge, management.For(MobileJpki.Core.Hierarchy.Auth));

        Assert.Equal(StatusWords.DataInconsistentWithP1P2, client.ResetPinRaw(PinKind.Signing, [.. authGrant, .. Wire(PinKind.Signing, NewSigningPassword)]).Sw);

        // The try used the challenge up, so not even the auth PIN takes it now; both stay locked.
        Assert.Equal(StatusWords.ConditionsNotSatisfied, client.ResetPinRaw(PinKind.Auth, [.. authGrant, .. Wire(PinKind.Auth, NewAuthPin)]).Sw);
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.GetPinStatus(PinKind.Signing).Locked);
        Assert.True(client.Jpki.GetPinStatus(PinKind.Auth).Locked);
    }

    [Fact]
    public void ResetPin_ChallengeForgottenOnRestartAndWipe()
    {
        Lock(PinKind.Auth);
        var path = TempPath();
        try
        {
            var challenge = client.GetChallenge();
            var grant = Grant(phone, PinKind.Auth, challenge, management.For(MobileJpki.Core.Hierarchy.Auth));
            phone.Save(path);

            // Another process loads the phone: the challenge did not survive, the lock did.
            var reloaded = VirtualPhone.Load(path, clock);
            var other = Client(reloaded);
            Assert.Equal(StatusWords.ConditionsNotSatisfied, other.ResetPinRaw(PinKind.Auth, [.. grant, .. Wire(PinKind.Auth, NewAuthPin)]).Sw);
            other.Jpki.SelectAp();
            Assert.True(other.Jpki.GetPinStatus(PinKind.Auth).Locked);

            // WIPE forgets it as well (and there is nothing left to reset).
            var fresh = client.GetChallenge();
            var freshGrant = Grant(phone, PinKind.Auth, fresh, management.For(MobileJpki.Core.Hierarchy.Auth));
            client.Wipe();
            Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, client.ResetPinRaw(PinKind.Auth, [.. freshGrant, .. Wire(PinKind.Auth, NewAuthPin)]).Sw);
            Assert.False(phone.SecureElement.HasPin(PinKind.Auth));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResetPin_NothingRegistered_CommandNotAllowed()
    {
        // Keys generated (apply) but no certificate yet: a PIN in provisioning is not reset, it is set anew with a new key.
        var fresh = VirtualPhone.Create("pixel-8", clock);
        var freshClient = Client(fresh);
        freshClient.GenerateKeyPair(PinKind.Auth, RandomNumberGenerator.GetBytes(32));
        freshClient.SetPin(PinKind.Auth, AuthPin);
        var grant = PinResetAuthorization.Issue(management.For(MobileJpki.Core.Hierarchy.Auth), JpkiFiles.AuthPin, new byte[32], freshClient.GetChallenge());

        Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, freshClient.ResetPinRaw(PinKind.Auth, [.. grant, .. Wire(PinKind.Auth, NewAuthPin)]).Sw);
        Assert.Equal(StatusWords.IncorrectP1P2, freshClient.Send(new CommandApdu(0x80, 0x2C, 0x01, 0x17, grant, null)).Sw);
    }

    [Fact]
    public void ResetPin_EveryPrefixOfAnAuthorisation_RefusedNeverAccepted()
    {
        Lock(PinKind.Auth);
        var before = Snapshot(phone);
        var grant = Grant(phone, PinKind.Auth, client.GetChallenge(), management.For(MobileJpki.Core.Hierarchy.Auth));
        byte[] full = [.. grant, .. Wire(PinKind.Auth, NewAuthPin)];
        for (var length = 0; length < grant.Length; length += 7)
        {
            client.GetChallenge();
            var sw = client.ResetPinRaw(PinKind.Auth, full.AsSpan(0, length)).Sw;
            Assert.True(sw is StatusWords.WrongLength or StatusWords.WrongData, $"prefix {length}: SW {sw:X4}");
        }

        Assert.Equal(before, Snapshot(phone));
    }

    [Fact]
    public void GetChallenge_BadParameters_Refused()
    {
        Assert.Equal(StatusWords.IncorrectP1P2, client.Send(new CommandApdu(0x80, 0x84, 0x00, 0x01, ReadOnlyMemory<byte>.Empty, 32)).Sw);
        Assert.Equal(StatusWords.WrongLength, client.Send(new CommandApdu(0x80, 0x84, 0x00, 0x00, new byte[4], 32)).Sw);
        var first = client.GetChallenge();
        var second = client.GetChallenge();
        Assert.Equal(32, first.Length);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(PinKind.Signing)]
    [InlineData(PinKind.Auth)]
    public void SetPin_ExistingPinLockedOrNot_RefusedAndTheRightPinAfterLockDoesNotUnlock(PinKind kind)
    {
        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => client.SetPin(kind, New(kind))).Sw);
        Lock(kind);
        var before = Snapshot(phone);

        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => client.SetPin(kind, New(kind))).Sw);
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.Verify(kind, Old(kind)).Locked);
        Assert.False(Signs(kind, Old(kind)));
        Assert.Equal(before, Snapshot(phone));
    }

    [Fact]
    public void GenerateKeyPair_DropsThePinWithTheOldKey_NewPinThenSet()
    {
        Lock(PinKind.Signing);
        client.GenerateKeyPair(PinKind.Signing, RandomNumberGenerator.GetBytes(32));

        Assert.False(phone.SecureElement.HasPin(PinKind.Signing));
        Assert.False(phone.SecureElement.HasCertificate(PinKind.Signing));
        client.SetPin(PinKind.Signing, NewSigningPassword);
        client.Jpki.SelectAp();
        Assert.True(client.Jpki.Verify(PinKind.Signing, NewSigningPassword).Verified);
    }

    [Fact]
    public void PutCertificate_CaOfARegisteredKind_Frozen()
    {
        // The CA certificate is the anchor of PIN resets: after 利用登録 nobody can swap in their own.
        var attacker = NewCa("CN=Attacker CA");
        var before = Snapshot(phone);

        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => client.PutCertificate(JpkiFiles.SigningCaCertificate, attacker.RawData)).Sw);
        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => client.PutCertificate(JpkiFiles.AuthCaCertificate, attacker.RawData)).Sw);
        Assert.Equal(before, Snapshot(phone));
    }

    [Fact]
    public void PutCertificate_LeafNotIssuedByTheStoredCa_WrongData()
    {
        var fresh = VirtualPhone.Create("pixel-8", clock);
        var freshClient = Client(fresh);
        var attestation = freshClient.GenerateKeyPair(PinKind.Auth, RandomNumberGenerator.GetBytes(32));
        var leaf = IssueFor(attestation, "CN=Phone Auth");

        // No CA yet: the leaf has nothing to be checked against.
        Assert.Equal(StatusWords.ConditionsNotSatisfied, Assert.Throws<JpkiCardException>(() => freshClient.PutCertificate(JpkiFiles.AuthCertificate, leaf.RawData)).Sw);

        // Another CA stored: our leaf does not go in under it.
        freshClient.PutCertificate(JpkiFiles.AuthCaCertificate, NewCa("CN=Attacker CA").RawData);
        Assert.Equal(StatusWords.WrongData, Assert.Throws<JpkiCardException>(() => freshClient.PutCertificate(JpkiFiles.AuthCertificate, leaf.RawData)).Sw);
        Assert.False(fresh.SecureElement.HasCertificate(PinKind.Auth));
    }

    private static Hierarchy Hierarchy(PinKind kind) => kind == PinKind.Signing ? MobileJpki.Core.Hierarchy.Signing : MobileJpki.Core.Hierarchy.Auth;

    private static string Old(PinKind kind) => kind == PinKind.Signing ? SigningPassword : AuthPin;

    private static string New(PinKind kind) => kind == PinKind.Signing ? NewSigningPassword : NewAuthPin;

    private static string Wrong(PinKind kind) => kind == PinKind.Signing ? "WRONG1" : "0000";

    private static byte[] Wire(PinKind kind, string pin) => System.Text.Encoding.ASCII.GetBytes(kind == PinKind.Signing ? pin.ToUpperInvariant() : pin);

    private static byte[] MakeTemplate()
    {
        var registered = Create();
        Provision(Client(registered));
        var path = TempPath();
        registered.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    private static VirtualPhone Copy(byte[] template, TimeProvider time)
    {
        var path = TempPath();
        File.WriteAllBytes(path, template);
        try
        {
            return VirtualPhone.Load(path, time);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The whole phone file, to prove a refusal changed nothing that persists.</summary>
    private static string Snapshot(VirtualPhone target)
    {
        var path = TempPath();
        try
        {
            target.Save(path);
            return File.ReadAllText(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private void Lock(PinKind kind)
    {
        client.Jpki.SelectAp();
        for (var i = 0; i < JpkiFiles.MaxTries(kind); i++)
        {
            client.Jpki.Verify(kind, Wrong(kind));
        }

        Assert.True(client.Jpki.GetPinStatus(kind).Locked);
    }

    /// <summary>Whether COMPUTE DIGITAL SIGNATURE works after verifying <paramref name="pin"/> on a new channel.</summary>
    private bool Signs(PinKind kind, string pin)
    {
        var jpki = new JpkiClient(phone.SecureElement.OpenChannel(AppIdentity.PortalApp));
        jpki.SelectAp();
        jpki.Verify(kind, pin);
        try
        {
            jpki.SignDigestInfo(kind, DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("申請"u8)));
            return true;
        }
        catch (JpkiCardException)
        {
            return false;
        }
    }

    private byte[] Forge(PinKind kind, Forgery forgery)
    {
        var hierarchy = Hierarchy(kind);
        var pin = Wire(kind, New(kind));
        var keyIdentity = KeyIdentity(phone, kind);
        var fid = JpkiFiles.PinFid(kind);
        if (forgery == Forgery.NoChallengeAsked)
        {
            return [.. PinResetAuthorization.Issue(management.For(hierarchy), fid, keyIdentity, RandomNumberGenerator.GetBytes(32)), .. pin];
        }

        var challenge = client.GetChallenge();
        byte[] Signed(DelegatedSigner signer) => PinResetAuthorization.Issue(signer, fid, keyIdentity, challenge);
        var good = Signed(management.For(hierarchy));
        switch (forgery)
        {
            case Forgery.AnotherChallenge:
                var stale = Grant(phone, kind, challenge, management.For(hierarchy));
                client.GetChallenge();
                return [.. stale, .. pin];
            case Forgery.AnotherSecureElement:
                // A genuine authorisation, for the same kind and this SE's challenge, but naming another phone's key.
                var other = Copy(OtherTemplate.Value, clock);
                return [.. PinResetAuthorization.Issue(management.For(hierarchy), fid, KeyIdentity(other, kind), challenge), .. pin];
            case Forgery.AnotherKind:
                var otherKind = kind == PinKind.Signing ? PinKind.Auth : PinKind.Signing;
                return [.. PinResetAuthorization.Issue(management.For(Hierarchy(otherKind)), JpkiFiles.PinFid(otherKind), KeyIdentity(phone, otherKind), challenge), .. pin];
            case Forgery.WrongExtendedKeyUsage:
                // A genuine delegated certificate of the same CA, for OCSP signing.
                var key = CaCertificate.GetRSAPrivateKey()!;
                using (var ocsp = new DelegatedCertificates<DelegatedSigner>(
                    [new DelegatedIssuer(hierarchy, CaCertificate, key)],
                    null,
                    clock,
                    SeManagementCertificates.Profile with { ExtendedKeyUsageOid = "1.3.6.1.5.5.7.3.9", FileStem = "responder" },
                    (h, c, k) => new DelegatedSigner(h, c, k)))
                {
                    return [.. Signed(ocsp.For(hierarchy)), .. pin];
                }

            case Forgery.SignedByTheCaItself:
                using (var ca = new DelegatedSigner(hierarchy, X509CertificateLoader.LoadCertificate(CaCertificate.RawData), CaCertificate.GetRSAPrivateKey()!))
                {
                    return [.. Signed(ca), .. pin];
                }

            case Forgery.SignedByAnotherKey:
                using (var stranger = RSA.Create(2048))
                {
                    var signature = stranger.SignData(PinResetAuthorization.SignedBytes(fid, keyIdentity, challenge), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    return [.. PinResetAuthorization.Encode(fid, keyIdentity, challenge, management.For(hierarchy).CertificateDer, signature), .. pin];
                }

            case Forgery.ManagementCertificateOfAnotherCa:
                using (var foreign = Management(clock, NewCa("CN=Test JPKI CA, O=JPKI, C=JP")))
                {
                    return [.. Signed(foreign.For(hierarchy)), .. pin];
                }

            case Forgery.Expired:
                clock.Advance(SeManagementCertificates.Validity + TimeSpan.FromMinutes(1));
                return [.. good, .. pin];
            case Forgery.NotYetValid:
                // Issued by a server whose clock runs two hours ahead of the SE's.
                using (var ahead = Management(new FakeTimeProvider(clock.GetUtcNow() + TimeSpan.FromHours(2))))
                {
                    return [.. Signed(ahead.For(hierarchy)), .. pin];
                }

            case Forgery.Truncated:
                return good[..^40];
            case Forgery.Malformed:
                // A SET where the SEQUENCE belongs.
                return [0x31, .. good[1..], .. pin];
            case Forgery.WrongVersion:
                return [.. PinResetAuthorization.Encode(fid, keyIdentity, challenge, management.For(hierarchy).CertificateDer, new byte[256], version: 2), .. pin];
            case Forgery.TrailingGarbageInsteadOfPin:
                return [.. good, 0x00, 0xFF, 0x30];
            case Forgery.NoPin:
                return good;
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery));
        }
    }
}
