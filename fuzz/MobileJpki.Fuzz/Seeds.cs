using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Device;
using MobileJpki.Pki;

namespace MobileJpki.Fuzz;

/// <summary>
/// Writes the seed corpora from real encodings: the commands the project's own clients send (recorded on the wire),
/// certificates from the project's CA, SE attestations, SignedCms messages and OCSP requests as clients build them.
/// </summary>
/// <remarks>Run once by hand (docs/fuzzing.md); the output is committed under fuzz/corpus.</remarks>
internal static class Seeds
{
    public static void WriteAll(string folder)
    {
        var seeds = new Dictionary<string, List<(string Name, byte[] Bytes)>>(StringComparer.Ordinal);
        void Add(string target, string name, byte[] bytes) =>
            (seeds.TryGetValue(target, out var list) ? list : seeds[target] = []).Add((name, bytes));

        var commands = new List<(string, byte[])>();
        foreach (var (name, session) in CardSessions())
        {
            Add("card", name, Frames.Join(session));
            commands.AddRange(session.Select((c, i) => ($"{name}-{i}", c)));
        }

        foreach (var (name, session) in SecureElementSessions(out var attestations))
        {
            Add("se", name, session);
            foreach (var (n, a) in attestations)
            {
                Add("attestation", n, a);
            }
        }

        // One of each command that differs in its header or length, plus the extended cases the clients do not use.
        foreach (var (name, bytes) in commands.DistinctBy(c => Convert.ToHexString(c.Item2.AsSpan(0, Math.Min(c.Item2.Length, 5)))))
        {
            Add("apdu", name, bytes);
        }

        Add("apdu", "case2e", new CommandApdu(0x00, 0xB0, 0, 0, ReadOnlyMemory<byte>.Empty, 1000).ToBytes());
        Add("apdu", "case3e", new CommandApdu(0x80, 0xDA, 0, 1, new byte[300], null).ToBytes());
        Add("apdu", "case4e", new CommandApdu(0x80, 0x2A, 0, 0x80, new byte[300], CommandApdu.MaxExtendedNe).ToBytes());

        foreach (var (name, der) in Certificates())
        {
            Add("cert", name, der);
        }

        foreach (var (name, cms) in CmsMessages())
        {
            Add("cms", name, cms);
        }

        foreach (var (name, request) in OcspRequests())
        {
            Add("ocsp", name, request);
        }

        Add("attestation-tbs", "own-maker", SignedLeafSeed());

        foreach (var (target, list) in seeds)
        {
            var dir = Directory.CreateDirectory(Path.Combine(folder, target)).FullName;
            foreach (var (name, bytes) in list)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
            }
        }
    }

    private static IEnumerable<(string, List<byte[]>)> CardSessions()
    {
        var digest = DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("seed"u8));
        yield return ("read-certificates", Record(Templates.Card().Applet, c =>
        {
            c.SelectAp();
            _ = c.ReadTokenLabel();
            _ = c.ReadFile(JpkiFiles.AuthCertificate);
            _ = c.ReadFile(JpkiFiles.AuthCaCertificate);
            _ = c.GetPinStatus(PinKind.Signing);
        }));
        yield return ("sign-auth", Record(Templates.Card().Applet, c =>
        {
            c.SelectAp();
            c.Verify(PinKind.Auth, Templates.AuthPin);
            _ = c.SignDigestInfo(PinKind.Auth, digest);
        }));
        yield return ("sign-signing", Record(Templates.Card().Applet, c =>
        {
            c.SelectAp();
            c.Verify(PinKind.Signing, Templates.SigningPassword);
            _ = c.ReadFile(JpkiFiles.SigningCertificate);
            _ = c.SignDigestInfo(PinKind.Signing, digest);
        }));
        yield return ("wrong-pin-change", Record(Templates.Card().Applet, c =>
        {
            c.SelectAp();
            c.Verify(PinKind.Auth, "9999");
            c.Verify(PinKind.Auth, Templates.AuthPin);
            c.ChangePin(PinKind.Auth, "5678");
        }));
    }

    private static IEnumerable<(string, byte[])> SecureElementSessions(out List<(string, byte[])> attestations)
    {
        var found = new List<(string, byte[])>();
        var sessions = new List<(string, byte[])>();
        var challenge = SHA256.HashData("fuzz challenge"u8);

        // Provisioning as the portal app does it, on a new phone.
        var fresh = Templates.Phone(provisioned: false);
        var commands = Record(fresh.SecureElement.OpenChannel(AppIdentity.PortalApp), channel =>
        {
            var client = new SecureElementClient(channel);
            client.Jpki.SelectAp();
            var chain = client.ReadAttestationChain();
            using var attestation = client.GenerateKeyPair(PinKind.Signing, challenge);
            client.SetPin(PinKind.Signing, Templates.SigningPassword);
            using var certificate = Templates.IssueFor(attestation.PublicKey.ExportSubjectPublicKeyInfo(), "CN=Fuzz Phone Signing, C=JP");
            client.PutCertificate(JpkiFiles.SigningCertificate, certificate.RawData);
            var spki = attestation.PublicKey.ExportSubjectPublicKeyInfo();
            found.Add(("se-chain-with-root", Frames.Join([spki, challenge, attestation.RawData, chain[0].RawData, chain[1].RawData])));
            found.Add(("se-chain", Frames.Join([spki, challenge, attestation.RawData, chain[0].RawData])));
        });
        sessions.Add(("provision", [0, .. Frames.Join(commands)]));

        // Use, PIN reset and wipe on a provisioned phone.
        var digest = DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("seed"u8));
        var provisioned = Templates.Phone(provisioned: true);
        commands = Record(provisioned.SecureElement.OpenChannel(AppIdentity.PortalApp), channel =>
        {
            var client = new SecureElementClient(channel);
            client.Jpki.SelectAp();
            client.Jpki.Verify(PinKind.Signing, Templates.SigningPassword);
            _ = client.Jpki.SignDigestInfo(PinKind.Signing, digest);
            client.Jpki.Verify(PinKind.Auth, "0000");
            client.ResetPin(PinKind.Auth, "4321");
            client.Wipe();
        });
        sessions.Add(("use-reset-wipe", [1, .. Frames.Join(commands)]));
        attestations = found;
        return sessions;
    }

    private static List<byte[]> Record(IApduChannel channel, Action<JpkiClient> session) =>
        Record(channel, c => session(new JpkiClient(c)));

    private static List<byte[]> Record(IApduChannel channel, Action<IApduChannel> session)
    {
        var recorder = new RecordingChannel(channel);
        try
        {
            session(recorder);
        }
        catch (JpkiCardException)
        {
            // A refused command (a wrong PIN on purpose, a reset the SE does not allow) is part of the seed.
        }

        return recorder.Commands;
    }

    private static IEnumerable<(string, byte[])> Certificates()
    {
        var dir = Directory.CreateTempSubdirectory("mjpki-fuzz-ca-").FullName;
        var options = new PkiOptions { DataDirectory = dir, BaseUrl = "http://ca.example.test:5080/" };
        using var ca = CaHierarchy.LoadOrCreate(options, SoftwareKeyProvider.InDataDirectory(options), Templates.Clock);
        var issuer = new CertificateIssuer(ca, Templates.Clock);
        using var subject = RSA.Create(2048);
        var spki = subject.ExportSubjectPublicKeyInfo();
        var person = new Basic4Info("山田 太郎", "YAMADA TARO", Gender.Male, new DateOnly(1990, 6, 15), "東京都千代田区千代田1番1号", "1-1 Chiyoda, Chiyoda-ku, Tokyo");
        foreach (var kind in Enum.GetValues<CertificateKind>())
        {
            var signing = kind is CertificateKind.CardSigning or CertificateKind.PhoneSigning;
            var cap = kind is CertificateKind.PhoneSigning or CertificateKind.PhoneAuth ? Templates.Now.AddYears(4) : (DateTimeOffset?)null;
            yield return ($"pki-{kind}", issuer.Issue(new IssueRequest(kind, spki, signing ? person : null, person.BirthDate, cap)));
        }

        yield return ("pki-root-signing", ca.CertificateFor(Hierarchy.Signing).RawData);
        var phone = Templates.Phone(provisioned: true);
        yield return ("se-device", phone.SecureElement.DeviceCertificate.RawData);
        yield return ("se-signing", phone.SecureElement.CertificateDer(PinKind.Signing)!);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=EC, O=Fuzz", ec, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ecCert = request.CreateSelfSigned(Templates.Now.AddDays(-1), Templates.Now.AddYears(50));
        yield return ("ec-generalized-time", ecCert.RawData);
        Directory.Delete(dir, recursive: true);
    }

    private static IEnumerable<(string, byte[])> CmsMessages()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Fuzz Signer, C=JP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(Templates.Now.AddDays(-1), Templates.Now.AddYears(1));
        var content = "{\"form\":\"転居届\",\"to\":\"千代田区\"}"u8.ToArray();
        foreach (var (name, type, attributes) in new[]
        {
            ("issuer-serial-attributes", SubjectIdentifierType.IssuerAndSerialNumber, true),
            ("issuer-serial-plain", SubjectIdentifierType.IssuerAndSerialNumber, false),
            ("key-id-attributes", SubjectIdentifierType.SubjectKeyIdentifier, true),
        })
        {
            var signed = new SignedCms(new ContentInfo(content), detached: false);
            var signer = new CmsSigner(type, certificate, key) { IncludeOption = X509IncludeOption.EndCertOnly, DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1") };
            if (attributes)
            {
                signer.SignedAttributes.Add(new Pkcs9SigningTime(Templates.Now.UtcDateTime));
            }

            signed.ComputeSignature(signer, silent: true);
            yield return (name, signed.Encode());
        }
    }

    private static IEnumerable<(string, byte[])> OcspRequests()
    {
        var nameHash = SHA1.HashData("issuer name"u8);
        var keyHash = SHA1.HashData("issuer key"u8);
        yield return ("sha1-one", OcspRequest([CertId("1.3.14.3.2.26", nameHash, keyHash, [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF])], null));
        yield return ("sha1-nonce", OcspRequest([CertId("1.3.14.3.2.26", nameHash, keyHash, [0x7F, 0x01])], RandomNumberGenerator.GetBytes(16)));
        var nameHash256 = SHA256.HashData("issuer name"u8);
        var keyHash256 = SHA256.HashData("issuer key"u8);
        yield return ("sha256-two", OcspRequest(
            [CertId("2.16.840.1.101.3.4.2.1", nameHash256, keyHash256, [0x80, 0x01]), CertId("2.16.840.1.101.3.4.2.1", nameHash256, keyHash256, [0x02])],
            RandomNumberGenerator.GetBytes(32)));
    }

    private static byte[] CertId(string hashOid, byte[] nameHash, byte[] keyHash, byte[] serial)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(hashOid);
                w.WriteNull();
            }

            w.WriteOctetString(nameHash);
            w.WriteOctetString(keyHash);
            w.WriteIntegerUnsigned(serial);
        }

        return w.Encode();
    }

    /// <summary>OCSPRequest as OpenSSL sends it: tbsRequest { requestList, [2] { nonce } } without version or signature.</summary>
    private static byte[] OcspRequest(byte[][] certIds, byte[]? nonce)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                foreach (var id in certIds)
                {
                    using (w.PushSequence())
                    {
                        w.WriteEncodedValue(id);
                    }
                }
            }

            if (nonce is not null)
            {
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2, true)))
                using (w.PushSequence())
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier("1.3.6.1.5.5.7.48.1.2");
                    var inner = new AsnWriter(AsnEncodingRules.DER);
                    inner.WriteOctetString(nonce);
                    w.WriteOctetString(inner.Encode());
                }
            }
        }

        return w.Encode();
    }

    /// <summary>A key attestation TBSCertificate under the harness's own device certificate, as the SE writes one.</summary>
    private static byte[] SignedLeafSeed()
    {
        using var key = RSA.Create(2048);
        using var deviceKey = RSA.Create(2048);
        var challenge = SHA256.HashData("fuzz challenge"u8);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("JPKI-AP key 001A");
        subject.Add("2.5.4.5", AttestationHarness.DeviceSerialNumber, UniversalTagNumber.PrintableString);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        var data = new KeyAttestationData(challenge, AttestationHarness.DeviceSerialNumber, JpkiFiles.SigningKey, KeyOrigin.GeneratedInsideSecureElement);
        request.CertificateExtensions.Add(new X509Extension(Oids.KeyAttestation, data.Encode(), critical: false));
        using var leaf = request.Create(
            AttestationHarness.DeviceName,
            X509SignatureGenerator.CreateForRSA(deviceKey, RSASignaturePadding.Pkcs1),
            Templates.Now.AddMinutes(-5),
            Templates.Now.AddYears(5),
            [9, 8, 7, 6]);
        var tbs = new AsnReader(leaf.RawData, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();
        return Frames.Join([key.ExportSubjectPublicKeyInfo(), challenge, tbs]);
    }

    private sealed class RecordingChannel(IApduChannel inner) : IApduChannel
    {
        public List<byte[]> Commands { get; } = [];

        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            Commands.Add(command.ToArray());
            return inner.Transmit(command);
        }
    }
}
