using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core.Attestation;

/// <summary>
/// A trusted SE maker root, parsed and with its public key imported once, plus what it has already vouched for:
/// device certificates (keyed by the SHA-256 of their DER) that verified under it, each with its imported key.
/// </summary>
/// <remarks>
/// Everything cached is a pure function of immutable bytes (the root and the device certificate); what depends
/// on the moment (validity) is checked again on every use. Thread-safe: public-key verification with one shared
/// <see cref="RSA"/> or <see cref="ECDsa"/> object is safe on concurrent threads.
/// </remarks>
public sealed class KeyAttestationTrust
{
    /// <summary>How many device certificates are remembered at most.</summary>
    public const int DefaultDeviceCapacity = 10_000;

    private static readonly BoundedCache<Sha256Key, KeyAttestationTrust> Anchors = new(64);

    private readonly BoundedCache<Sha256Key, DeviceCertificate> _devices;

    /// <param name="rootDer">The DER of the maker root to trust.</param>
    /// <param name="deviceCapacity">How many verified device certificates to remember.</param>
    /// <exception cref="ArgumentException">The root is not a parsable certificate.</exception>
    public KeyAttestationTrust(byte[] rootDer, int deviceCapacity = DefaultDeviceCapacity)
    {
        ArgumentNullException.ThrowIfNull(rootDer);
        if (!DerCertificate.TryParse(rootDer.ToArray(), out var root) || root is null)
        {
            throw new ArgumentException("The trusted root is not a DER certificate.", nameof(rootDer));
        }

        Root = root;
        RootKey = root.ImportPublicKey();
        RootIsCertificateAuthority = root.IsCertificateAuthority;
        _devices = new BoundedCache<Sha256Key, DeviceCertificate>(deviceCapacity);
    }

    /// <summary>The trusted root.</summary>
    public DerCertificate Root { get; }

    /// <summary>How many device certificates are cached now.</summary>
    public int CachedDeviceCount => _devices.Count;

    internal AsymmetricAlgorithm? RootKey { get; }

    internal bool RootIsCertificateAuthority { get; }

    /// <summary>A shared anchor for this root (one per distinct root DER), for callers that hold an <see cref="X509Certificate2"/>.</summary>
    public static KeyAttestationTrust For(X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var der = root.RawData;
        var key = Sha256Key.Of(der);
        return Anchors.TryGet(key, out var anchor) ? anchor : Anchors.GetOrAdd(key, new KeyAttestationTrust(der));
    }

    internal bool TryGetDevice(Sha256Key key, out DeviceCertificate device) => _devices.TryGet(key, out device);

    internal DeviceCertificate AddDevice(Sha256Key key, DeviceCertificate device) => _devices.GetOrAdd(key, device);

    /// <summary>A device certificate already verified as issued by the root and as a CA; its key imported (null if unusable).</summary>
    internal sealed record DeviceCertificate(DerCertificate Certificate, AsymmetricAlgorithm? Key, string? SerialNumberAttribute);
}
