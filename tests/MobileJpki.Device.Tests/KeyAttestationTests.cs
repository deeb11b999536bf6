using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using static MobileJpki.Device.Tests.TestPhones;

namespace MobileJpki.Device.Tests;

public class KeyAttestationTests
{
    private readonly VirtualPhone phone = Create();
    private readonly SecureElementClient client;
    private readonly byte[] challenge = RandomNumberGenerator.GetBytes(32);
    private readonly X509Certificate2 attestation;
    private readonly IReadOnlyList<X509Certificate2> deviceChain;

    public KeyAttestationTests()
    {
        client = Client(phone);
        attestation = client.GenerateKeyPair(PinKind.Signing, challenge);
        deviceChain = client.ReadAttestationChain();
    }

    private byte[] Spki => attestation.PublicKey.ExportSubjectPublicKeyInfo();

    private List<X509Certificate2> Chain => [attestation, .. deviceChain];

    [Fact]
    public void SeMakerRoots_Default_IsTheSandboxRoot()
    {
        using var root = SeMakerRoots.Default;
        Assert.Contains("MobileJpki Sandbox SE Maker Root CA", root.Subject, StringComparison.Ordinal);
        Assert.Equal(root.RawData, deviceChain[1].RawData);
    }

    [Fact]
    public void GenerateKeyPair_AttestationAccepted()
    {
        Assert.True(KeyAttestationVerifier.TryVerify(Chain, SeMakerRoots.Default, challenge, Spki, Now, out var data, out var error), error);
        Assert.Equal(JpkiFiles.SigningKey, data!.KeyFid);
        Assert.Equal(phone.SecureElement.SecureElementId, data.SecureElementId);
        Assert.Equal(KeyOrigin.GeneratedInsideSecureElement, data.Origin);
        Assert.True(KeyAttestationVerifier.TryVerify(Chain.Take(2).ToList(), SeMakerRoots.Default, challenge, Spki, Now, out error), error);
        Assert.NotNull(attestation.Extensions[Oids.KeyAttestation]);
    }

    /// <summary>The phone id the app puts in its application is the serial the maker certified, so the server accepts it.</summary>
    [Fact]
    public void PhoneId_IsTheSerialNumberTheVerifierReturnsFromTheDeviceCertificate()
    {
        var der = Chain.Select(c => c.RawData).ToList();
        Assert.True(KeyAttestationVerifier.TryVerify(der, KeyAttestationTrust.For(SeMakerRoots.Default), challenge, Spki, Now, out _, out var serial, out var error), error);

        Assert.True(PhoneIdentity.TryFromSerialNumber(serial, out var attested));
        Assert.Equal(attested, phone.PhoneId);
        Assert.Equal(phone.SecureElement.SecureElementId, phone.PhoneId);
        Assert.True(PhoneIdentity.TryFromDeviceCertificate(deviceChain[0].RawData, out var derived));
        Assert.Equal(phone.PhoneId, derived);
    }

    [Fact]
    public void GenerateKeyPair_AttestedKeyIsTheKeyThatSigns()
    {
        client.SetPin(PinKind.Signing, SigningPassword);
        Assert.True(client.Jpki.Verify(PinKind.Signing, SigningPassword).Verified);
        var hash = SHA256.HashData("application"u8);
        var signature = client.Jpki.SignDigestInfo(PinKind.Signing, DigestInfos.Build(HashAlgorithmName.SHA256, hash));
        using var publicKey = attestation.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void TryVerify_WrongChallengeOrKey_Rejected()
    {
        Assert.False(KeyAttestationVerifier.TryVerify(Chain, SeMakerRoots.Default, RandomNumberGenerator.GetBytes(32), Spki, Now, out var error));
        Assert.Contains("challenge", error, StringComparison.Ordinal);

        var other = client.GenerateKeyPair(PinKind.Auth, challenge);
        Assert.False(KeyAttestationVerifier.TryVerify(Chain, SeMakerRoots.Default, challenge, other.PublicKey.ExportSubjectPublicKeyInfo(), Now, out error));
        Assert.Contains("key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryVerify_TamperedSignature_Rejected()
    {
        var bytes = attestation.RawData.ToArray();
        bytes[^5] ^= 0x01;
        using var tampered = X509CertificateLoader.LoadCertificate(bytes);
        Assert.False(KeyAttestationVerifier.TryVerify([tampered, .. deviceChain], SeMakerRoots.Default, challenge, Spki, Now, out var error));
        Assert.Contains("signature", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryVerify_ForgedByAnotherKey_Rejected()
    {
        using var forger = RSA.Create(2048);
        var request = new CertificateRequest(attestation.SubjectName, attestation.PublicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        foreach (var extension in attestation.Extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        using var forged = request.Create(deviceChain[0].SubjectName, X509SignatureGenerator.CreateForRSA(forger, RSASignaturePadding.Pkcs1), Now.AddDays(-1), Now.AddDays(1), [1, 2, 3]);
        Assert.False(KeyAttestationVerifier.TryVerify([forged, .. deviceChain], SeMakerRoots.Default, challenge, Spki, Now, out _));
    }

    [Fact]
    public void TryVerify_UntrustedRootOrOtherDevice_Rejected()
    {
        using var rogueKey = RSA.Create(2048);
        var rogueRequest = new CertificateRequest("CN=MobileJpki Sandbox SE Maker Root CA, O=MobileJpki Sandbox, C=JP", rogueKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rogueRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var rogueRoot = rogueRequest.CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
        Assert.False(KeyAttestationVerifier.TryVerify(Chain.Take(2).ToList(), rogueRoot, challenge, Spki, Now, out _));
        Assert.False(KeyAttestationVerifier.TryVerify([attestation, deviceChain[0], rogueRoot], SeMakerRoots.Default, challenge, Spki, Now, out _));

        var otherDevice = Client(Create("galaxy-s23")).ReadAttestationChain()[0];
        Assert.False(KeyAttestationVerifier.TryVerify([attestation, otherDevice], SeMakerRoots.Default, challenge, Spki, Now, out _));
    }

    [Fact]
    public void TryVerify_OutsideValidity_Rejected()
    {
        Assert.False(KeyAttestationVerifier.TryVerify(Chain, SeMakerRoots.Default, challenge, Spki, Now.AddDays(-1), out var error));
        Assert.Contains("not valid", error, StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateKeyPair_WrongChallengeLengthOrFid_Rejected()
    {
        Assert.Equal(StatusWords.WrongLength, client.Send(new CommandApdu(0x80, 0x47, 0x00, 0x17, new byte[31], 65536)).Sw);
        Assert.Equal(StatusWords.IncorrectP1P2, client.Send(new CommandApdu(0x80, 0x47, 0x00, 0x18, new byte[32], 65536)).Sw);
    }

    [Fact]
    public void KeyAttestationData_EncodeDecode_RoundTripAndRejectsGarbage()
    {
        var data = new KeyAttestationData([1, 2, 3], "0011223344556677", 0x1A, KeyOrigin.GeneratedInsideSecureElement);
        Assert.True(KeyAttestationData.TryDecode(data.Encode(), out var decoded));
        Assert.Equal(data.Challenge, decoded!.Challenge);
        Assert.Equal(data.KeyFid, decoded.KeyFid);
        Assert.False(KeyAttestationData.TryDecode(new byte[] { 0x30, 0x03, 0x02, 0x01 }, out _));
        Assert.False(KeyAttestationData.TryDecode(new byte[][] { data.Encode(), [0x00] }.SelectMany(b => b).ToArray(), out _));
    }
}
