using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace MobileJpki.Card;

/// <summary>The persistent content of a JPKI applet: files, private keys and PIN objects with their counters.</summary>
/// <remarks>
/// Serialized with System.Text.Json by the owner (card file, phone file). Session state such as "PIN verified"
/// is deliberately not here: it lives in <see cref="JpkiApplet"/> and dies with power-off.
/// </remarks>
public sealed class JpkiAppletState
{
    public const int MaxFileLength = 16 * 1024;
    public const int MaxTokenLabelLength = JpkiFiles.TokenInfoLength;

    public string TokenLabel { get; set; } = string.Empty;

    /// <summary>Transparent EFs by FID (certificates, token info), DER or raw bytes.</summary>
    public Dictionary<ushort, byte[]> Files { get; set; } = [];

    /// <summary>Private keys by key EF FID, PKCS#8 DER.</summary>
    public Dictionary<ushort, byte[]> Keys { get; set; } = [];

    /// <summary>PIN objects by PIN EF FID.</summary>
    public Dictionary<ushort, PinRecord> Pins { get; set; } = [];

    /// <summary>Serializes access by several applet sessions (channels) to the one state.</summary>
    [JsonIgnore]
    public Lock SyncRoot { get; } = new();

    /// <summary>A state holding only the token info EF.</summary>
    public static JpkiAppletState Create(string tokenLabel)
    {
        var state = new JpkiAppletState { TokenLabel = tokenLabel };
        state.Files[JpkiFiles.TokenInfo] = EncodeTokenInfo(tokenLabel);
        return state;
    }

    /// <summary>The token label padded with spaces to the 32 bytes of EF 0006.</summary>
    public static byte[] EncodeTokenInfo(string tokenLabel)
    {
        if (tokenLabel.Length > MaxTokenLabelLength || !Ascii.IsValid(tokenLabel))
        {
            throw new ArgumentException("The token label must be at most 32 ASCII characters.", nameof(tokenLabel));
        }

        return Encoding.ASCII.GetBytes(tokenLabel.PadRight(JpkiFiles.TokenInfoLength, ' '));
    }

    /// <summary>Creates or replaces a PIN object with a full counter; <paramref name="pin"/> must be in wire form.</summary>
    public void SetPin(PinKind kind, string pin)
    {
        if (!PasswordPolicy.IsWireForm(kind, pin))
        {
            PasswordPolicy.TryNormalize(kind, pin, out _, out var error);
            throw new ArgumentException(error.Length == 0 ? "The PIN must be normalized before it is stored." : error, nameof(pin));
        }

        Pins[JpkiFiles.PinFid(kind)] = PinRecord.Create(kind, pin);
    }

    /// <summary>Stores a private key in its key EF.</summary>
    public void SetKey(PinKind kind, RSA key) => Keys[JpkiFiles.KeyFid(kind)] = key.ExportPkcs8PrivateKey();

    /// <summary>The SubjectPublicKeyInfo of the key in <paramref name="keyFid"/>, or null when absent.</summary>
    public byte[]? PublicKeyInfo(ushort keyFid)
    {
        if (!Keys.TryGetValue(keyFid, out var pkcs8))
        {
            return null;
        }

        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Rejects a state that could not have been produced by this code (e.g. an edited or corrupt file).</summary>
    /// <exception cref="InvalidDataException">With a message naming the first problem found.</exception>
    public void Validate()
    {
        if (TokenLabel is null || TokenLabel.Length > MaxTokenLabelLength || !Ascii.IsValid(TokenLabel))
        {
            throw new InvalidDataException("The token label is missing or not at most 32 ASCII characters.");
        }

        if (Files is null || Keys is null || Pins is null)
        {
            throw new InvalidDataException("The applet state lacks its files, keys or PINs.");
        }

        foreach (var (fid, content) in Files)
        {
            if (content is null || content.Length > MaxFileLength)
            {
                throw new InvalidDataException($"EF {fid:X4} is missing or longer than {MaxFileLength} bytes.");
            }
        }

        foreach (var (fid, pkcs8) in Keys)
        {
            if (JpkiFiles.PinForKey(fid) is null || pkcs8 is null)
            {
                throw new InvalidDataException($"EF {fid:X4} is not a key EF.");
            }

            try
            {
                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out var read);
                if (read != pkcs8.Length || rsa.KeySize is < 2048 or > 4096)
                {
                    throw new InvalidDataException($"The key in EF {fid:X4} is not a 2048–4096-bit RSA key.");
                }
            }
            catch (CryptographicException e)
            {
                throw new InvalidDataException($"The key in EF {fid:X4} is not a valid PKCS#8 RSA key.", e);
            }
        }

        foreach (var (fid, pin) in Pins)
        {
            if (pin is null || JpkiFiles.PinKindOf(fid) != pin.Kind || !pin.IsWellFormed())
            {
                throw new InvalidDataException($"The PIN object in EF {fid:X4} is malformed.");
            }
        }
    }
}

/// <summary>A PIN object: a salted PBKDF2-SHA-256 hash of the PIN and its retry counter.</summary>
public sealed class PinRecord
{
    public const int SaltLength = 16;
    public const int HashLength = 32;

    /// <summary>Kept low on purpose: the counter, not the hash cost, is what stops guessing on a card.</summary>
    public const int DefaultIterations = 1000;

    public PinKind Kind { get; set; }

    public byte[] Salt { get; set; } = [];

    public byte[] Hash { get; set; } = [];

    public int Iterations { get; set; }

    public int MaxTries { get; set; }

    public int TriesLeft { get; set; }

    [JsonIgnore]
    public bool IsBlocked => TriesLeft <= 0;

    public static PinRecord Create(PinKind kind, string pin)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var max = JpkiFiles.MaxTries(kind);
        return new PinRecord
        {
            Kind = kind,
            Salt = salt,
            Iterations = DefaultIterations,
            Hash = Derive(Encoding.ASCII.GetBytes(pin), salt, DefaultIterations),
            MaxTries = max,
            TriesLeft = max,
        };
    }

    public bool Matches(ReadOnlySpan<byte> candidate) =>
        CryptographicOperations.FixedTimeEquals(Derive(candidate, Salt, Iterations), Hash);

    internal bool IsWellFormed() =>
        Enum.IsDefined(Kind) && Salt is { Length: SaltLength } && Hash is { Length: HashLength }
        && Iterations is >= 1 and <= 1_000_000 && MaxTries is >= 1 and <= 15 && TriesLeft >= 0 && TriesLeft <= MaxTries;

    private static byte[] Derive(ReadOnlySpan<byte> pin, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(pin, salt, iterations, HashAlgorithmName.SHA256, HashLength);
}
