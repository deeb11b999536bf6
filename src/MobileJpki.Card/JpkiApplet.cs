using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MobileJpki.Card;

/// <summary>The JPKI-AP: ISO 7816-4 SELECT, READ BINARY, VERIFY, CHANGE REFERENCE DATA and COMPUTE DIGITAL SIGNATURE.</summary>
/// <remarks>
/// One instance is one session (a power cycle or a logical channel): it holds the selection and which PINs
/// are verified; the shared <see cref="JpkiAppletState"/> holds everything that survives power-off.
/// Parsing never throws: every malformed input becomes a status word.
/// </remarks>
public sealed class JpkiApplet : IApduChannel
{
    private const byte ClaInterindustry = 0x00;
    private const byte ClaProprietary = 0x80;
    private const int MaxPinLength = 16;

    /// <summary>
    /// The stored keys, imported once (a real SE holds its keys ready; importing PKCS#8 and building the key's CRT
    /// context cost about 1 ms per signature here, four times the signature itself). Keyed by the stored array's
    /// identity: a key is replaced by a new array (never changed in place), so a replaced or wiped key is never used,
    /// and its entry goes with the array. Nothing of this is persisted; PIN checks still come first.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], RSA> LoadedKeys = [];

    private readonly JpkiAppletState state;

    // Keyed by object identity so that a PIN replaced or wiped by its owner loses its verification at once.
    private readonly HashSet<PinRecord> verified = new(ReferenceEqualityComparer.Instance);
    private bool apSelected;
    private ushort? currentEf;

    public JpkiApplet(JpkiAppletState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        this.state = state;
    }

    /// <summary>Raised (under the state's lock) after every change to the persistent state, e.g. a retry counter.</summary>
    public event EventHandler? StateChanged;

    public JpkiAppletState State => state;

    /// <summary>Warm reset: the AP must be selected again and every PIN verified again.</summary>
    public void Reset()
    {
        lock (state.SyncRoot)
        {
            ClearSession();
        }
    }

    /// <summary>The card left the field; same effect on the session as <see cref="Reset"/>.</summary>
    public void PowerOff() => Reset();

    public byte[] Transmit(ReadOnlySpan<byte> command) =>
        CommandApdu.TryParse(command, out var apdu, out var sw)
            ? Process(apdu).ToBytes()
            : ResponseApdu.Status(sw).ToBytes();

    /// <summary>Handles one parsed command.</summary>
    public ResponseApdu Process(CommandApdu apdu)
    {
        lock (state.SyncRoot)
        {
            var response = Dispatch(apdu, out var changed);
            if (changed)
            {
                StateChanged?.Invoke(this, EventArgs.Empty);
            }

            return response;
        }
    }

    private ResponseApdu Dispatch(CommandApdu apdu, out bool changed)
    {
        changed = false;
        var expectedCla = apdu.Ins == 0x2A ? ClaProprietary : ClaInterindustry;
        if (apdu.Cla is not (ClaInterindustry or ClaProprietary))
        {
            return ResponseApdu.Status(StatusWords.ClaNotSupported);
        }

        if (apdu.Ins is 0xA4 or 0xB0 or 0x20 or 0x24 or 0x2A && apdu.Cla != expectedCla)
        {
            return ResponseApdu.Status(StatusWords.ClaNotSupported);
        }

        return apdu.Ins switch
        {
            0xA4 => Select(apdu),
            0xB0 => ReadBinary(apdu),
            0x20 => Verify(apdu, out changed),
            0x24 => ChangeReferenceData(apdu, out changed),
            0x2A => ComputeDigitalSignature(apdu),
            _ => ResponseApdu.Status(StatusWords.InsNotSupported),
        };
    }

    private void ClearSession()
    {
        apSelected = false;
        currentEf = null;
        verified.Clear();
    }

    private ResponseApdu Select(CommandApdu apdu)
    {
        if (apdu.P2 is not (0x0C or 0x00))
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        switch (apdu.P1)
        {
            case 0x04:
                if (!apdu.Data.Span.SequenceEqual(JpkiFiles.Aid))
                {
                    return ResponseApdu.Status(StatusWords.FileNotFound);
                }

                ClearSession();
                apSelected = true;
                return ResponseApdu.Status(StatusWords.Success);

            case 0x02:
                if (apdu.Data.Length != 2)
                {
                    return ResponseApdu.Status(StatusWords.WrongLength);
                }

                var fid = BinaryPrimitives.ReadUInt16BigEndian(apdu.Data.Span);
                if (!apSelected || !Exists(fid))
                {
                    return ResponseApdu.Status(StatusWords.FileNotFound);
                }

                currentEf = fid;
                return ResponseApdu.Status(StatusWords.Success);

            default:
                return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }
    }

    private bool Exists(ushort fid) => state.Files.ContainsKey(fid) || state.Keys.ContainsKey(fid) || state.Pins.ContainsKey(fid);

    private ResponseApdu ReadBinary(CommandApdu apdu)
    {
        // P1 bit 8 would address a file by short EF identifier, which the JPKI-AP does not offer.
        if ((apdu.P1 & 0x80) != 0)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!apdu.Data.IsEmpty || apdu.Ne is not int ne)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        if (currentEf is not ushort fid || !apSelected)
        {
            return ResponseApdu.Status(StatusWords.CommandNotAllowedNoCurrentEf);
        }

        if (!state.Files.TryGetValue(fid, out var content))
        {
            return ResponseApdu.Status(state.Keys.ContainsKey(fid) || state.Pins.ContainsKey(fid)
                ? StatusWords.IncompatibleFileStructure
                : StatusWords.CommandNotAllowedNoCurrentEf);
        }

        if (fid == JpkiFiles.SigningCertificate && !IsVerified(JpkiFiles.SigningPin))
        {
            return ResponseApdu.Status(StatusWords.SecurityStatusNotSatisfied);
        }

        var offset = (apdu.P1 << 8) | apdu.P2;
        if (offset >= content.Length)
        {
            return ResponseApdu.Status(StatusWords.WrongP1P2);
        }

        var length = Math.Min(ne, content.Length - offset);
        return new ResponseApdu(content.AsSpan(offset, length).ToArray(), StatusWords.Success);
    }

    private bool IsVerified(ushort pinFid) =>
        state.Pins.TryGetValue(pinFid, out var pin) && !pin.IsBlocked && verified.Contains(pin);

    private bool TryCurrentPin(out PinRecord pin)
    {
        pin = null!;
        return apSelected && currentEf is ushort fid && state.Pins.TryGetValue(fid, out pin!);
    }

    private ResponseApdu Verify(CommandApdu apdu, out bool changed)
    {
        changed = false;
        if (apdu.P1 != 0x00 || apdu.P2 != 0x80)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!TryCurrentPin(out var pin))
        {
            return ResponseApdu.Status(StatusWords.CommandNotAllowedNoCurrentEf);
        }

        // A query always answers 63Cx, 63C0 when locked: OpenSC's JPKI driver fails to bind on anything else.
        if (apdu.Data.IsEmpty)
        {
            return ResponseApdu.Status(StatusWords.VerifyFailed(pin.IsBlocked ? 0 : pin.TriesLeft));
        }

        if (pin.IsBlocked)
        {
            return ResponseApdu.Status(StatusWords.AuthenticationBlocked);
        }

        // An over-long value cannot be any PIN; refusing it without spending a try matches real cards.
        if (apdu.Data.Length > MaxPinLength)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        if (pin.Matches(apdu.Data.Span))
        {
            verified.Add(pin);
            if (pin.TriesLeft != pin.MaxTries)
            {
                pin.TriesLeft = pin.MaxTries;
                changed = true;
            }

            return ResponseApdu.Status(StatusWords.Success);
        }

        verified.Remove(pin);
        pin.TriesLeft--;
        changed = true;
        return ResponseApdu.Status(StatusWords.VerifyFailed(pin.TriesLeft));
    }

    private ResponseApdu ChangeReferenceData(CommandApdu apdu, out bool changed)
    {
        changed = false;
        if (apdu.P1 != 0x01 || apdu.P2 != 0x80)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!TryCurrentPin(out var pin))
        {
            return ResponseApdu.Status(StatusWords.CommandNotAllowedNoCurrentEf);
        }

        if (pin.IsBlocked)
        {
            return ResponseApdu.Status(StatusWords.AuthenticationBlocked);
        }

        if (!verified.Contains(pin))
        {
            return ResponseApdu.Status(StatusWords.SecurityStatusNotSatisfied);
        }

        if (apdu.Data.Length is 0 or > MaxPinLength)
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        var newPin = System.Text.Encoding.ASCII.GetString(apdu.Data.Span);
        if (!System.Text.Ascii.IsValid(apdu.Data.Span) || !PasswordPolicy.IsWireForm(pin.Kind, newPin))
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        var fresh = PinRecord.Create(pin.Kind, newPin);
        pin.Salt = fresh.Salt;
        pin.Hash = fresh.Hash;
        pin.Iterations = fresh.Iterations;
        pin.TriesLeft = pin.MaxTries;
        changed = true;
        return ResponseApdu.Status(StatusWords.Success);
    }

    private ResponseApdu ComputeDigitalSignature(CommandApdu apdu)
    {
        if (apdu.P1 != 0x00 || apdu.P2 != 0x80)
        {
            return ResponseApdu.Status(StatusWords.IncorrectP1P2);
        }

        if (!apSelected || currentEf is not ushort keyFid || !state.Keys.TryGetValue(keyFid, out var pkcs8))
        {
            return ResponseApdu.Status(StatusWords.CommandNotAllowedNoCurrentEf);
        }

        if (JpkiFiles.PinForKey(keyFid) is not ushort pinFid || !IsVerified(pinFid))
        {
            return ResponseApdu.Status(StatusWords.SecurityStatusNotSatisfied);
        }

        if (!DigestInfos.TryParse(apdu.Data.Span, out var algorithm, out var hash))
        {
            return ResponseApdu.Status(StatusWords.WrongData);
        }

        // ISO 7816-4 §5.1: no more than Ne bytes, and none without Le; a signature cut short would be useless anyway.
        var rsa = LoadedKeys.GetValue(pkcs8, LoadKey);
        if (apdu.Ne is not int ne || ne < rsa.KeySize / 8)
        {
            return ResponseApdu.Status(StatusWords.WrongLength);
        }

        return new ResponseApdu(rsa.SignHash(hash, algorithm, RSASignaturePadding.Pkcs1), StatusWords.Success);
    }

    private static RSA LoadKey(byte[] pkcs8)
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }
}
