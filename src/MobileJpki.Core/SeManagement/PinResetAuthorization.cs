using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using MobileJpki.Core.Delegation;

namespace MobileJpki.Core.SeManagement;

/// <summary>How <see cref="PinResetAuthorization.TryDecode"/> judged its input.</summary>
public enum PinResetAuthorizationFormat
{
    Valid = 0,

    /// <summary>The outer SEQUENCE's length runs past the data (cut short).</summary>
    Truncated = 1,

    /// <summary>Anything else that is not the structure below (not DER, wrong version, sizes, an unparsable certificate).</summary>
    Malformed = 2,
}

/// <summary>
/// The server's permission for one SE to replace one of its PINs (docs/secure-element.md, "PIN reset authorisation"):
/// signed by the SE management key, whose certificate (issued by the CA of the PIN's hierarchy, extended key usage
/// <see cref="Oids.SeManagementKeyUsage"/>) travels with it.
/// </summary>
/// <remarks>
/// <code>
/// PinResetAuthorization ::= SEQUENCE {
///   version      INTEGER (1),
///   pinReference INTEGER (24 | 27),           -- the PIN EF: 0018 auth PIN, 001B signing password
///   keyIdentity  OCTET STRING (SIZE (32)),    -- SHA-256 of the SubjectPublicKeyInfo of the SE key that PIN guards
///   challenge    OCTET STRING (SIZE (32)),    -- the SE's GET CHALLENGE answer
///   certificate  Certificate,                 -- the SE management certificate, at most 4 KiB
///   signature    OCTET STRING (SIZE (256..512)) }  -- sha256WithRSAEncryption (PKCS#1 v1.5) over SignedBytes
/// </code>
/// The new PIN is deliberately not bound: the server must never learn it, and a hash of a 4-digit PIN would tell it.
/// </remarks>
public sealed class PinResetAuthorization
{
    public const int CurrentVersion = 1;
    public const ushort AuthPinReference = 0x0018;
    public const ushort SigningPinReference = 0x001B;
    public const int ChallengeLength = 32;
    public const int KeyIdentityLength = 32;
    public const int MaxCertificateLength = 4096;
    public const int MinSignatureLength = 256;
    public const int MaxSignatureLength = 512;

    /// <summary>The largest encoding <see cref="TryDecode"/> accepts.</summary>
    public const int MaxEncodedLength = 6 * 1024;

    private PinResetAuthorization(ushort pinReference, byte[] keyIdentity, byte[] challenge, DerCertificate certificate, byte[] signature)
    {
        PinReference = pinReference;
        KeyIdentity = keyIdentity;
        Challenge = challenge;
        Certificate = certificate;
        Signature = signature;
    }

    /// <summary>The domain-separation label that opens <see cref="SignedBytes"/> (ASCII, then a NUL).</summary>
    public static ReadOnlySpan<byte> Label => "mjpki-se-pin-reset/1"u8;

    public ushort PinReference { get; }

    public byte[] KeyIdentity { get; }

    public byte[] Challenge { get; }

    public DerCertificate Certificate { get; }

    public byte[] Signature { get; }

    /// <summary>The PIN EF of a hierarchy's phone PIN.</summary>
    public static ushort PinReferenceOf(Hierarchy hierarchy) => hierarchy == Hierarchy.Signing ? SigningPinReference : AuthPinReference;

    /// <summary>SHA-256 of a DER SubjectPublicKeyInfo: how the authorisation names the SE key (and so the SE).</summary>
    public static byte[] KeyIdentityOf(ReadOnlySpan<byte> subjectPublicKeyInfo) => SHA256.HashData(subjectPublicKeyInfo);

    /// <summary>
    /// Label ‖ 00 ‖ pinReference (2 bytes, big-endian) ‖ keyIdentity (32) ‖ challenge (32): 87 bytes, fixed layout, so no
    /// two different grants share their signed bytes.
    /// </summary>
    public static byte[] SignedBytes(ushort pinReference, ReadOnlySpan<byte> keyIdentity, ReadOnlySpan<byte> challenge)
    {
        if (keyIdentity.Length != KeyIdentityLength || challenge.Length != ChallengeLength)
        {
            throw new ArgumentException("The key identity and the challenge are 32 bytes each.");
        }

        var bytes = new byte[Label.Length + 1 + 2 + KeyIdentityLength + ChallengeLength];
        Label.CopyTo(bytes);
        var offset = Label.Length + 1;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(offset), pinReference);
        keyIdentity.CopyTo(bytes.AsSpan(offset + 2));
        challenge.CopyTo(bytes.AsSpan(offset + 2 + KeyIdentityLength));
        return bytes;
    }

    /// <summary>Signs a grant with the SE management signer and encodes it (what the server hands the app).</summary>
    public static byte[] Issue(DelegatedSigner signer, ushort pinReference, ReadOnlySpan<byte> keyIdentity, ReadOnlySpan<byte> challenge)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var signature = signer.Sign(SignedBytes(pinReference, keyIdentity, challenge));
        return Encode(pinReference, keyIdentity, challenge, signer.CertificateDer, signature);
    }

    /// <summary>The DER of the structure above; no checks (tests build bad ones with it).</summary>
    public static byte[] Encode(ushort pinReference, ReadOnlySpan<byte> keyIdentity, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> certificate, ReadOnlySpan<byte> signature, int version = CurrentVersion)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(version);
            writer.WriteInteger(pinReference);
            writer.WriteOctetString(keyIdentity);
            writer.WriteOctetString(challenge);
            writer.WriteEncodedValue(certificate);
            writer.WriteOctetString(signature);
        }

        return writer.Encode();
    }

    /// <summary>
    /// Reads one authorisation from the start of <paramref name="data"/>; <paramref name="consumed"/> says where it ends
    /// (the SE's RESET PIN carries the new PIN right after it). Never throws on any input.
    /// </summary>
    public static PinResetAuthorizationFormat TryDecode(ReadOnlySpan<byte> data, out PinResetAuthorization? authorization, out int consumed)
    {
        authorization = null;
        consumed = 0;
        if (data.IsEmpty || data.Length > MaxEncodedLength + 64)
        {
            return PinResetAuthorizationFormat.Malformed;
        }

        // The header alone tells a cut-off encoding from a wrong one.
        if (!Asn1Tag.TryDecode(data, out var tag, out var tagLength) || tag != Asn1Tag.Sequence)
        {
            return PinResetAuthorizationFormat.Malformed;
        }

        // A length cut short (none, or fewer bytes than its long form announces) is truncation too.
        if (data.Length <= tagLength || (data[tagLength] > 0x80 && data.Length < tagLength + 1 + (data[tagLength] & 0x7F)))
        {
            return PinResetAuthorizationFormat.Truncated;
        }

        int? length;
        int lengthLength;
        try
        {
            length = AsnDecoder.DecodeLength(data[tagLength..], AsnEncodingRules.DER, out lengthLength);
        }
        catch (AsnContentException)
        {
            return PinResetAuthorizationFormat.Malformed;
        }

        if (length is not int contentLength || contentLength > MaxEncodedLength)
        {
            return PinResetAuthorizationFormat.Malformed;
        }

        var total = tagLength + lengthLength + contentLength;
        if (total > data.Length)
        {
            return PinResetAuthorizationFormat.Truncated;
        }

        try
        {
            var outer = new AsnReader(data[..total].ToArray(), AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            if (!sequence.TryReadInt32(out var version) || version != CurrentVersion)
            {
                return PinResetAuthorizationFormat.Malformed;
            }

            if (!sequence.TryReadInt32(out var pinReference) || pinReference is not (AuthPinReference or SigningPinReference))
            {
                return PinResetAuthorizationFormat.Malformed;
            }

            var keyIdentity = sequence.ReadOctetString();
            var challenge = sequence.ReadOctetString();
            var certificateDer = sequence.ReadEncodedValue().ToArray();
            var signature = sequence.ReadOctetString();
            sequence.ThrowIfNotEmpty();
            if (keyIdentity.Length != KeyIdentityLength || challenge.Length != ChallengeLength
                || certificateDer.Length > MaxCertificateLength
                || signature.Length is < MinSignatureLength or > MaxSignatureLength
                || !DerCertificate.TryParse(certificateDer, out var certificate) || certificate is null)
            {
                return PinResetAuthorizationFormat.Malformed;
            }

            authorization = new PinResetAuthorization((ushort)pinReference, keyIdentity, challenge, certificate, signature);
            consumed = total;
            return PinResetAuthorizationFormat.Valid;
        }
        catch (AsnContentException)
        {
            return PinResetAuthorizationFormat.Malformed;
        }
    }

    /// <summary>Whether the certificate names <see cref="Oids.SeManagementKeyUsage"/> among its extended key usages and is not a CA.</summary>
    public bool CertificateIsForSeManagement()
    {
        if (Certificate.IsCertificateAuthority || !Certificate.TryGetExtension("2.5.29.37", out var eku))
        {
            return false;
        }

        try
        {
            var reader = new AsnReader(eku, AsnEncodingRules.DER);
            var purposes = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (purposes.HasData)
            {
                if (purposes.ReadObjectIdentifier() == Oids.SeManagementKeyUsage)
                {
                    return true;
                }
            }
        }
        catch (AsnContentException)
        {
            return false;
        }

        return false;
    }

    /// <summary>The grant's signature verifies with the certificate's RSA key.</summary>
    public bool SignatureVerifies()
    {
        if (Certificate.ImportPublicKey() is not RSA key)
        {
            return false;
        }

        using (key)
        {
            return key.VerifyData(SignedBytes(PinReference, KeyIdentity, Challenge), Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }
}

/// <summary>The SE management certificate's profile, for <see cref="DelegatedCertificates{TSigner}"/>.</summary>
public static class SeManagementCertificates
{
    public const string FileStem = "se-management";

    public static readonly TimeSpan Validity = TimeSpan.FromDays(30);

    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(7);

    /// <summary>Files <c>{h}-se-management.cer|key</c>; extended key usage <see cref="Oids.SeManagementKeyUsage"/> only; 30 days, renewed 7 days before.</summary>
    public static DelegatedProfile Profile { get; } = new(
        FileStem,
        h => $"MobileJpki SE Management ({h.WireName()})",
        Oids.SeManagementKeyUsage,
        [],
        Validity,
        RenewBefore);

    /// <summary>The issuer of every CA's SE management certificate, keys under <paramref name="directory"/> (null: in memory).</summary>
    public static DelegatedCertificates<DelegatedSigner> Create(IEnumerable<DelegatedIssuer> issuers, string? directory, TimeProvider time) =>
        new(issuers, directory, time, Profile, (h, certificate, key) => new DelegatedSigner(h, certificate, key));
}
