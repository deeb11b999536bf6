using System.Security.Cryptography;

namespace MobileJpki.Card;

/// <summary>An RSA key whose private operation happens on the card or SE, for CMS, CSRs and anything taking an <see cref="RSA"/>.</summary>
/// <remarks>The PIN must already be verified through the same <see cref="JpkiClient"/>; only PKCS#1 v1.5 is offered, as on the card.</remarks>
public sealed class JpkiRsa : RSA
{
    private readonly JpkiClient client;
    private readonly PinKind key;
    private readonly RSA publicKey;

    public JpkiRsa(JpkiClient client, PinKind key, RSAParameters publicKey)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (publicKey.Modulus is null || publicKey.Exponent is null)
        {
            throw new ArgumentException("The public key needs a modulus and an exponent.", nameof(publicKey));
        }

        this.client = client;
        this.key = key;
        this.publicKey = Create(new RSAParameters { Modulus = publicKey.Modulus, Exponent = publicKey.Exponent });
        var bits = this.publicKey.KeySize;
        LegalKeySizesValue = [new KeySizes(bits, bits, 0)];
        KeySizeValue = bits;
    }

    public PinKind Key => key;

    public override RSAParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters
            ? throw new CryptographicException("The private key stays inside the card or secure element.")
            : publicKey.ExportParameters(false);

    public override void ImportParameters(RSAParameters parameters) =>
        throw new NotSupportedException("A card-backed key cannot be replaced.");

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (padding != RSASignaturePadding.Pkcs1)
        {
            throw new CryptographicException("The JPKI applet signs with PKCS#1 v1.5 padding only.");
        }

        try
        {
            return client.SignDigestInfo(key, DigestInfos.Build(hashAlgorithm, hash));
        }
        catch (JpkiCardException e)
        {
            throw new CryptographicException(e.Message, e);
        }
    }

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        publicKey.VerifyHash(hash, signature, hashAlgorithm, padding);

    public override byte[] Encrypt(byte[] data, RSAEncryptionPadding padding) => publicKey.Encrypt(data, padding);

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding) =>
        throw new CryptographicException("The JPKI applet does not decrypt.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            publicKey.Dispose();
        }

        base.Dispose(disposing);
    }
}
