using System.Formats.Asn1;

namespace MobileJpki.Core.Attestation;

/// <summary>Where an attested key was born.</summary>
public enum KeyOrigin
{
    GeneratedInsideSecureElement = 0,
    Imported = 1,
}

/// <summary>Content of the key attestation extension (<see cref="Oids.KeyAttestation"/>).</summary>
/// <remarks>
/// <code>
/// KeyAttestation ::= SEQUENCE {
///   version          INTEGER (1),
///   challenge        OCTET STRING (SIZE (1..64)),
///   secureElementId  UTF8String (SIZE (1..64)),
///   keyFid           INTEGER (0..65535),
///   origin           ENUMERATED { generatedInsideSecureElement (0), imported (1) } }
/// </code>
/// Modelled on Android key attestation: the challenge binds the attestation to one application.
/// </remarks>
public sealed record KeyAttestationData(byte[] Challenge, string SecureElementId, int KeyFid, KeyOrigin Origin)
{
    public const int Version = 1;
    public const int MaxChallengeLength = 64;

    public byte[] Encode()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteOctetString(Challenge);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, SecureElementId);
            writer.WriteInteger(KeyFid);
            writer.WriteEnumeratedValue(Origin);
        }

        return writer.Encode();
    }

    /// <summary>Decodes the extension value; returns false (never throws) on anything malformed.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> encoded, out KeyAttestationData? data)
    {
        data = null;
        try
        {
            var outer = new AsnReader(encoded, AsnEncodingRules.DER);
            var seq = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (!seq.TryReadInt32(out var version) || version != Version)
            {
                return false;
            }

            var challenge = seq.ReadOctetString();
            var seId = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            if (!seq.TryReadInt32(out var fid) || fid is < 0 or > 0xFFFF)
            {
                return false;
            }

            var origin = seq.ReadEnumeratedValue<KeyOrigin>();
            seq.ThrowIfNotEmpty();
            if (challenge.Length is 0 or > MaxChallengeLength || seId.Length is 0 or > 64 || !Enum.IsDefined(origin))
            {
                return false;
            }

            data = new KeyAttestationData(challenge, seId, fid, origin);
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
