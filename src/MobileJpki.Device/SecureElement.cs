using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MobileJpki.Card;
using MobileJpki.Core;
using MobileJpki.Core.Attestation;
using MobileJpki.Core.SeManagement;

namespace MobileJpki.Device;

/// <summary>The phone's GP secure element: a JPKI-AP (token JPKIAPGPSETOKEN) plus provisioning commands, reachable only by the portal app.</summary>
/// <remarks>
/// Standard JPKI commands go to <see cref="JpkiApplet"/> unchanged; the CLA 80 provisioning commands of
/// <see cref="SecureElementCommands"/> (documented in docs/secure-element.md) generate keys inside the SE with
/// a key attestation, write certificates that must match those keys, set a PIN where none exists, replace one only
/// with the server's reset authorisation, and wipe.
/// </remarks>
public sealed class SecureElement
{
    private readonly SecureElementState state;
    private readonly TimeProvider time;

    // The outstanding GET CHALLENGE answer for RESET PIN. Deliberately not persisted: a restart forgets it (fail closed).
    private byte[]? resetChallenge;

    internal SecureElement(SecureElementState state, TimeProvider time, bool usable)
    {
        this.state = state;
        this.time = time;
        IsUsable = usable;
    }

    /// <summary>Raised after every change to the SE's persistent state, including retry counters.</summary>
    public event EventHandler? StateChanged;

    public string SecureElementId => state.SecureElementId;

    /// <summary>False when the model's SE cannot host the JPKI-AP; then no channel opens.</summary>
    public bool IsUsable { get; }

    internal SecureElementState State => state;

    /// <summary>The device attestation certificate issued by the maker root.</summary>
    public X509Certificate2 DeviceCertificate
    {
        get
        {
            lock (state.Applet.SyncRoot)
            {
                return X509CertificateLoader.LoadCertificate(state.DeviceCertificate);
            }
        }
    }

    public bool HasKey(PinKind kind) => WithLock(() => state.Applet.Keys.ContainsKey(JpkiFiles.KeyFid(kind)));

    public bool HasCertificate(PinKind kind) => WithLock(() => state.Applet.Files.ContainsKey(JpkiFiles.CertificateFid(kind)));

    /// <summary>
    /// The certificate of a kind as the phone's settings screen shows it (certificates are public data;
    /// the JPKI-AP still wants the signing PIN before READ BINARY of EF 0001).
    /// </summary>
    public byte[]? CertificateDer(PinKind kind) =>
        WithLock(() => state.Applet.Files.TryGetValue(JpkiFiles.CertificateFid(kind), out var der) ? (byte[])der.Clone() : null);

    public bool HasPin(PinKind kind) => WithLock(() => state.Applet.Pins.ContainsKey(JpkiFiles.PinFid(kind)));

    /// <summary>Opens a logical channel with its own session (selection, verified PINs), like OMAPI's openLogicalChannel.</summary>
    /// <exception cref="SecureElementAccessDeniedException">The caller is not the portal app, or the SE is not usable.</exception>
    public IApduChannel OpenChannel(AppIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller != AppIdentity.PortalApp)
        {
            throw new SecureElementAccessDeniedException($"The SE's access rules do not admit '{caller.PackageName}'.");
        }

        if (!IsUsable)
        {
            throw new SecureElementAccessDeniedException("This model's secure element does not offer the JPKI-AP.");
        }

        return new Channel(this);
    }

    /// <summary>A tamper event: the SE deletes every key, certificate and PIN.</summary>
    public void Tamper()
    {
        lock (state.Applet.SyncRoot)
        {
            WipeJpkiData();
            RaiseChanged();
        }
    }

    internal static SecureElement Create(PhoneModel model, TimeProvider time, SecureElementMaker maker)
    {
        // Lowercase hex: the serial becomes the phone id (PhoneIdentity), which the simulator also uses as a file name.
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var attestationKey = RSA.Create(2048);
        using var deviceCert = maker.IssueDeviceCertificate(id, model.Maker, attestationKey, time);
        using var root = maker.Root;
        var applet = JpkiAppletState.Create(JpkiFiles.SecureElementTokenLabel);
        applet.Files[SecureElementCommands.DeviceAttestationCertificate] = deviceCert.RawData;
        applet.Files[SecureElementCommands.MakerRootCertificate] = root.RawData;
        var state = new SecureElementState
        {
            SecureElementId = id,
            AttestationKey = attestationKey.ExportPkcs8PrivateKey(),
            Applet = applet,
        };
        return new SecureElement(state, time, model.Supported);
    }

    private T WithLock<T>(Func<T> read)
    {
        lock (state.Applet.SyncRoot)
        {
            return read();
        }
    }

    private void RaiseChanged() => StateChanged?.Invoke(this, EventArgs.Empty);

    private void WipeJpkiData()
    {
        var applet = state.Applet;
        resetChallenge = null;
        applet.Keys.Clear();
        applet.Pins.Clear();
        foreach (var fid in new[] { JpkiFiles.SigningCertificate, JpkiFiles.SigningCaCertificate, JpkiFiles.AuthCertificate, JpkiFiles.AuthCaCertificate })
        {
            applet.Files.Remove(fid);
        }

        state.ProvisioningKeys.Clear();
    }

    private ResponseApdu GenerateKeyPair(CommandApdu apdu, ushort fid)
    {
        if (JpkiFiles.PinForKey(fid) is null)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (apdu.Data.Length != SecureElementCommands.ChallengeLength)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        var kind = fid == JpkiFiles.SigningKey ? PinKind.Signing : PinKind.Auth;
        using var key = RSA.Create(2048);
        var attestation = IssueKeyAttestation(key, fid, apdu.Data.ToArray());

        // A certificate for the replaced key would no longer match: drop it with the key. The PIN goes too: it guarded
        // the old key, and the new one gets its own by SET PIN (which only ever sets a PIN where none exists).
        state.Applet.SetKey(kind, key);
        state.Applet.Files.Remove(JpkiFiles.CertificateFid(kind));
        state.Applet.Pins.Remove(JpkiFiles.PinFid(kind));
        if (!state.ProvisioningKeys.Contains(fid))
        {
            state.ProvisioningKeys.Add(fid);
        }

        RaiseChanged();
        return new ResponseApdu(attestation, StatusWords.Success);
    }

    private byte[] IssueKeyAttestation(RSA key, ushort fid, byte[] challenge)
    {
        using var deviceKey = RSA.Create();
        deviceKey.ImportPkcs8PrivateKey(state.AttestationKey, out _);
        using var device = X509CertificateLoader.LoadCertificate(state.DeviceCertificate);

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName($"JPKI-AP key {fid:X4}");
        subject.Add("2.5.4.5", state.SecureElementId, System.Formats.Asn1.UniversalTagNumber.PrintableString);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(device, true, false));
        var data = new KeyAttestationData(challenge, state.SecureElementId, fid, KeyOrigin.GeneratedInsideSecureElement);
        request.CertificateExtensions.Add(new X509Extension(Oids.KeyAttestation, data.Encode(), critical: false));

        var now = time.GetUtcNow();
        var notBefore = SecureElementMaker.Max(now.AddMinutes(-5), new DateTimeOffset(device.NotBefore.ToUniversalTime()));
        var notAfter = new DateTimeOffset(device.NotAfter.ToUniversalTime());
        using var cert = request.Create(
            device.SubjectName,
            X509SignatureGenerator.CreateForRSA(deviceKey, RSASignaturePadding.Pkcs1),
            notBefore,
            notAfter,
            RandomNumberGenerator.GetBytes(12));
        return cert.RawData;
    }

    private ResponseApdu PutCertificate(ReadOnlyMemory<byte> der, ushort fid)
    {
        if (fid is not (JpkiFiles.SigningCertificate or JpkiFiles.AuthCertificate or JpkiFiles.SigningCaCertificate or JpkiFiles.AuthCaCertificate))
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadCertificate(der.Span);
        }
        catch (CryptographicException)
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        using (cert)
        {
            if (cert.RawData.Length != der.Length)
            {
                return ResponseApdu.Status(StatusWords.WrongData);
            }

            if (JpkiFiles.KeyForCertificate(fid) is ushort keyFid)
            {
                var expected = state.Applet.PublicKeyInfo(keyFid);
                if (expected is null)
                {
                    return ResponseApdu.Status(StatusWords.ConditionsNotSatisfied);
                }

                if (!cert.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expected))
                {
                    return ResponseApdu.Status(StatusWords.WrongData);
                }

                // The CA certificate stored for this kind is what a PIN reset authorisation must chain to, so a leaf
                // goes in only under it: a CA slipped in while the key waited for its certificate makes that key useless.
                var kind = keyFid == JpkiFiles.SigningKey ? PinKind.Signing : PinKind.Auth;
                if (!state.Applet.Files.TryGetValue(JpkiFiles.CaCertificateFid(kind), out var caDer))
                {
                    return ResponseApdu.Status(StatusWords.ConditionsNotSatisfied);
                }

                if (!IssuedBy(cert.RawData, caDer))
                {
                    return ResponseApdu.Status(StatusWords.WrongData);
                }

                state.ProvisioningKeys.Remove(keyFid);
            }
            else
            {
                // The trust anchor of PIN resets: frozen once the kind's certificate is registered (利用登録), until a new key.
                var kind = fid == JpkiFiles.SigningCaCertificate ? PinKind.Signing : PinKind.Auth;
                if (state.Applet.Files.ContainsKey(JpkiFiles.CertificateFid(kind)))
                {
                    return ResponseApdu.Status(StatusWords.ConditionsNotSatisfied);
                }
            }

            state.Applet.Files[fid] = cert.RawData;
        }

        RaiseChanged();
        return ResponseApdu.Status(StatusWords.Success);
    }

    private static bool IssuedBy(byte[] certificateDer, byte[] caDer)
    {
        if (!DerCertificate.TryParse(certificateDer, out var certificate) || certificate is null
            || !DerCertificate.TryParse(caDer, out var ca) || ca is null
            || !certificate.Issuer.Span.SequenceEqual(ca.Subject.Span))
        {
            return false;
        }

        using var caKey = ca.ImportPublicKey();
        return certificate.IsSignedBy(caKey);
    }

    private ResponseApdu SetPin(CommandApdu apdu, ushort p1p2)
    {
        // SET PIN only ever sets a PIN where none exists (apply: the keys were just generated, which dropped the old
        // PINs). Replacing one, locked or not, is RESET PIN with the server's authorisation.
        if (JpkiFiles.PinKindOf(p1p2) is not PinKind kind)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (state.Applet.Pins.ContainsKey(p1p2))
        {
            return ResponseApdu.Status(StatusWords.ConditionsNotSatisfied);
        }

        if (ParsePin(kind, apdu.Data.Span) is not string pin)
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        state.Applet.SetPin(kind, pin);
        RaiseChanged();
        return ResponseApdu.Status(StatusWords.Success);
    }

    private static string? ParsePin(PinKind kind, ReadOnlySpan<byte> span) =>
        span.IsEmpty || span.Length > 16 || !Ascii.IsValid(span) || !PasswordPolicy.IsWireForm(kind, Encoding.ASCII.GetString(span))
            ? null
            : Encoding.ASCII.GetString(span);

    private ResponseApdu GetChallenge(CommandApdu apdu, ushort p1p2)
    {
        if (p1p2 != 0)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!apdu.Data.IsEmpty)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        resetChallenge = RandomNumberGenerator.GetBytes(PinResetAuthorization.ChallengeLength);
        return new ResponseApdu((byte[])resetChallenge.Clone(), StatusWords.Success);
    }

    /// <summary>
    /// RESET PIN: the data is a <see cref="PinResetAuthorization"/> followed by the new PIN. Every check below refuses
    /// with its own status word (docs/secure-element.md) and changes nothing but the challenge, which any try uses up.
    /// </summary>
    private ResponseApdu ResetPin(ReadOnlySpan<byte> data, ushort pinFid)
    {
        var outstanding = resetChallenge;
        resetChallenge = null;
        if (JpkiFiles.PinKindOf(pinFid) is not PinKind kind)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        switch (PinResetAuthorization.TryDecode(data, out var authorization, out var consumed))
        {
            case PinResetAuthorizationFormat.Truncated:
                return ResponseApdu.Status(StatusWords.WrongLength);
            case PinResetAuthorizationFormat.Malformed:
                return ResponseApdu.Status(StatusWords.WrongData);
        }

        if (ParsePin(kind, data[consumed..]) is not string pin)
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        // Only a registered PIN can be reset: its key, the key's certificate and the CA certificate in place.
        var applet = state.Applet;
        var keyFid = JpkiFiles.KeyFid(kind);
        if (!applet.Pins.ContainsKey(pinFid) || applet.PublicKeyInfo(keyFid) is not byte[] spki || state.ProvisioningKeys.Contains(keyFid)
            || !applet.Files.ContainsKey(JpkiFiles.CertificateFid(kind)) || !applet.Files.TryGetValue(JpkiFiles.CaCertificateFid(kind), out var caDer))
        {
            return ResponseApdu.Status(StatusWords.CommandNotAllowedNoCurrentEf);
        }

        var grant = authorization!;
        if (grant.PinReference != pinFid)
        {
            return ResponseApdu.Status(StatusWords.DataInconsistentWithP1P2);
        }

        if (!CryptographicOperations.FixedTimeEquals(grant.KeyIdentity, PinResetAuthorization.KeyIdentityOf(spki)))
        {
            return ResponseApdu.Status(StatusWords.ReferencedDataNotFound);
        }

        if (outstanding is null || !CryptographicOperations.FixedTimeEquals(grant.Challenge, outstanding))
        {
            return ResponseApdu.Status(StatusWords.ConditionsNotSatisfied);
        }

        if (!grant.CertificateIsForSeManagement())
        {
            return ResponseApdu.Status(StatusWords.SecurityStatusNotSatisfied);
        }

        if (!IssuedBy(grant.Certificate.Der, caDer) || !grant.SignatureVerifies())
        {
            return ResponseApdu.Status(StatusWords.AuthenticationFailed);
        }

        var now = time.GetUtcNow();
        if (now < grant.Certificate.NotBefore || now > grant.Certificate.NotAfter)
        {
            return ResponseApdu.Status(StatusWords.ReferenceDataNotUsable);
        }

        applet.SetPin(kind, pin);
        RaiseChanged();
        return ResponseApdu.Status(StatusWords.Success);
    }

    private ResponseApdu Wipe(CommandApdu apdu, ushort p1p2)
    {
        if (p1p2 != 0)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!apdu.Data.IsEmpty)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        WipeJpkiData();
        RaiseChanged();
        return ResponseApdu.Status(StatusWords.Success);
    }

    /// <summary>One logical channel: a JPKI-AP session plus the command-chaining buffer.</summary>
    private sealed class Channel : IApduChannel
    {
        private readonly SecureElement owner;
        private readonly JpkiApplet applet;
        private readonly List<byte> chain = [];
        private int chainTarget;

        public Channel(SecureElement owner)
        {
            this.owner = owner;
            applet = new JpkiApplet(owner.state.Applet);
            applet.StateChanged += (_, _) => owner.RaiseChanged();
        }

        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            if (!CommandApdu.TryParse(command, out var apdu, out var sw))
            {
                return ResponseApdu.Status(sw).ToBytes();
            }

            lock (owner.state.Applet.SyncRoot)
            {
                return Process(apdu).ToBytes();
            }
        }

        private static bool IsProvisioning(byte ins) => ins is SecureElementCommands.GenerateKeyPair
            or SecureElementCommands.PutCertificate or SecureElementCommands.SetPin or SecureElementCommands.Wipe
            or SecureElementCommands.GetChallenge;

        private ResponseApdu Process(CommandApdu apdu)
        {
            var isProprietary = apdu.Cla is SecureElementCommands.Cla or SecureElementCommands.ClaChained;
            if (!isProprietary || !IsProvisioning(apdu.Ins))
            {
                chain.Clear();
                return applet.Process(apdu);
            }

            var p1p2 = BinaryPrimitives.ReadUInt16BigEndian([apdu.P1, apdu.P2]);
            var resetPin = apdu.Ins == SecureElementCommands.SetPin && apdu.P1 == SecureElementCommands.ResetPinP1;
            var chainable = apdu.Ins == SecureElementCommands.PutCertificate || resetPin;
            if (apdu.IsChained && !chainable)
            {
                chain.Clear();
                return ResponseApdu.Status(StatusWords.ChainingNotSupported);
            }

            if (!chainable)
            {
                chain.Clear();
                return apdu.Ins switch
                {
                    SecureElementCommands.GenerateKeyPair => owner.GenerateKeyPair(apdu, p1p2),
                    SecureElementCommands.SetPin => owner.SetPin(apdu, p1p2),
                    SecureElementCommands.GetChallenge => owner.GetChallenge(apdu, p1p2),
                    _ => owner.Wipe(apdu, p1p2),
                };
            }

            var chainKey = (apdu.Ins << 16) | p1p2;
            if (chain.Count > 0 && chainTarget != chainKey)
            {
                chain.Clear();
                return ResponseApdu.Status(StatusWords.LastCommandOfChainExpected);
            }

            if (chain.Count + apdu.Data.Length > SecureElementCommands.MaxCertificateLength)
            {
                chain.Clear();
                return ResponseApdu.Status(StatusWords.NotEnoughMemory);
            }

            if (apdu.IsChained)
            {
                chainTarget = chainKey;
                chain.AddRange(apdu.Data.Span);
                return ResponseApdu.Status(StatusWords.Success);
            }

            byte[] data = [.. chain, .. apdu.Data.Span];
            chain.Clear();
            return resetPin ? owner.ResetPin(data, apdu.P2) : owner.PutCertificate(data, p1p2);
        }
    }
}
