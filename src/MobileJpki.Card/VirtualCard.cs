using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Card;

/// <summary>A virtual My Number Card: a JPKI-AP with two RSA-2048 keys generated inside it, kept in a JSON file.</summary>
/// <remarks>
/// A card <see cref="Open(string)"/>ed from a file holds that file's lock until disposed, so a second program cannot
/// load the same card and spend its own PIN guesses beside this one's (docs/security.md).
/// </remarks>
public sealed class VirtualCard : IDisposable
{
    public const string FormatId = "mjpki-card/1";

    private readonly JpkiAppletState state;

    // Replacement keys generated at the counter, kept in the card object (never exported) until their certificate arrives.
    private readonly Dictionary<PinKind, byte[]> replacementKeys = [];
    private string? autoSavePath;
    private FileStream? fileLock;

    private VirtualCard(JpkiAppletState state)
    {
        this.state = state;
        Applet = new JpkiApplet(state);
        Applet.StateChanged += (_, _) => AutoSave();
    }

    /// <summary>The card's applet; one session, as a card has one contact interface.</summary>
    public JpkiApplet Applet { get; }

    public byte[] SigningPublicKeyInfo => WithLock(() => state.PublicKeyInfo(JpkiFiles.SigningKey)!);

    public byte[] AuthPublicKeyInfo => WithLock(() => state.PublicKeyInfo(JpkiFiles.AuthKey)!);

    /// <summary>Whether both certificates have been written.</summary>
    public bool HasCertificates => WithLock(() =>
        state.Files.ContainsKey(JpkiFiles.SigningCertificate) && state.Files.ContainsKey(JpkiFiles.AuthCertificate));

    /// <summary>A card as the municipal office hands it out before certificates: keys generated, PINs set.</summary>
    /// <exception cref="ArgumentException">A PIN breaks <see cref="PasswordPolicy"/>; the message says which rule.</exception>
    public static VirtualCard CreateBlank(string signingPassword, string authPin)
    {
        if (!PasswordPolicy.TryNormalizeSigningPassword(signingPassword, out var signing, out var error))
        {
            throw new ArgumentException(error, nameof(signingPassword));
        }

        if (!PasswordPolicy.TryValidateAuthPin(authPin, out error))
        {
            throw new ArgumentException(error, nameof(authPin));
        }

        var state = JpkiAppletState.Create(JpkiFiles.CardTokenLabel);
        using (var signingKey = RSA.Create(2048))
        using (var authKey = RSA.Create(2048))
        {
            state.SetKey(PinKind.Signing, signingKey);
            state.SetKey(PinKind.Auth, authKey);
        }

        state.SetPin(PinKind.Signing, signing);
        state.SetPin(PinKind.Auth, authPin);
        return new VirtualCard(state);
    }

    /// <summary>Writes the four certificates after checking each leaf carries the card's own key.</summary>
    /// <exception cref="ArgumentException">A certificate is malformed or a leaf does not match its key; nothing is written.</exception>
    public void InstallCertificates(byte[] signingCert, byte[] signingCaCert, byte[] authCert, byte[] authCaCert)
    {
        lock (state.SyncRoot)
        {
            RequireCertificate(signingCert, nameof(signingCert), state.PublicKeyInfo(JpkiFiles.SigningKey));
            RequireCertificate(signingCaCert, nameof(signingCaCert), null);
            RequireCertificate(authCert, nameof(authCert), state.PublicKeyInfo(JpkiFiles.AuthKey));
            RequireCertificate(authCaCert, nameof(authCaCert), null);

            state.Files[JpkiFiles.SigningCertificate] = [.. signingCert];
            state.Files[JpkiFiles.SigningCaCertificate] = [.. signingCaCert];
            state.Files[JpkiFiles.AuthCertificate] = [.. authCert];
            state.Files[JpkiFiles.AuthCaCertificate] = [.. authCaCert];
            AutoSave();
        }
    }

    /// <summary>The certificate in the card's EF for <paramref name="kind"/>, or null; the counter holds the card, so no PIN is asked.</summary>
    public byte[]? CertificateDer(PinKind kind) => WithLock<byte[]?>(() =>
        state.Files.TryGetValue(JpkiFiles.CertificateFid(kind), out var der) ? [.. der] : null);

    /// <summary>
    /// 窓口 (counter only): generates a new key pair for <paramref name="kind"/> inside the card for re-keying (address
    /// change, renewal). The old key stays in use until <see cref="InstallReplacementCertificates"/> installs a
    /// certificate for the new one; returns the new key's SubjectPublicKeyInfo.
    /// </summary>
    public byte[] GenerateReplacementKey(PinKind kind)
    {
        using var rsa = RSA.Create(2048);
        lock (state.SyncRoot)
        {
            replacementKeys[kind] = rsa.ExportPkcs8PrivateKey();
        }

        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>
    /// 窓口 (counter only): installs the certificates issued for the replacement keys; each key replaces the old one
    /// (which is destroyed) and its certificate and CA certificate replace the old EFs. All or nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">No replacement key was generated for a kind.</exception>
    /// <exception cref="ArgumentException">A certificate is malformed or not for the replacement key; nothing is written.</exception>
    public void InstallReplacementCertificates(IReadOnlyList<(PinKind Kind, byte[] Certificate, byte[] CaCertificate)> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        lock (state.SyncRoot)
        {
            foreach (var (kind, cert, caCert) in certificates)
            {
                if (!replacementKeys.TryGetValue(kind, out var pkcs8))
                {
                    throw new InvalidOperationException($"No replacement {kind} key was generated on this card.");
                }

                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                RequireCertificate(cert, nameof(certificates), rsa.ExportSubjectPublicKeyInfo());
                RequireCertificate(caCert, nameof(certificates), null);
            }

            foreach (var (kind, cert, caCert) in certificates)
            {
                state.Keys[JpkiFiles.KeyFid(kind)] = replacementKeys[kind];
                replacementKeys.Remove(kind);
                state.Files[JpkiFiles.CertificateFid(kind)] = [.. cert];
                state.Files[JpkiFiles.CaCertificateFid(kind)] = [.. caCert];
            }

            AutoSave();
        }

        // A session that verified a PIN for the old key starts over with the new one.
        Applet.Reset();
    }

    /// <summary>
    /// 窓口 (counter only): resets <paramref name="kind"/>'s retry counter and sets a new PIN, checked against
    /// <see cref="PasswordPolicy"/>. Deliberately not an APDU: a real card allows RESET RETRY COUNTER only under the
    /// issuer's secure-messaging key, which the counter terminal holds; this sandbox has no such key, so the path
    /// exists only for whoever holds the card object (docs/card.md, "Counter operations").
    /// </summary>
    /// <exception cref="ArgumentException">The new PIN breaks the policy (the message says which rule); nothing changes.</exception>
    public void ResetPinAtCounter(PinKind kind, string newPin)
    {
        if (!PasswordPolicy.TryNormalize(kind, newPin, out var normalized, out var error))
        {
            throw new ArgumentException(error, nameof(newPin));
        }

        lock (state.SyncRoot)
        {
            // A new PIN object: any session's verification of the old one is gone (the applet keys it by identity).
            state.SetPin(kind, normalized);
            AutoSave();
        }
    }

    /// <summary>Reads a card file (at most 1 MiB).</summary>
    /// <exception cref="InvalidDataException">The file is too large, corrupt or not a card.</exception>
    public static VirtualCard Load(string path)
    {
        var file = StateFiles.Read<CardFile>(path, "card");
        if (file.Format != FormatId || file.Applet is null)
        {
            throw new InvalidDataException($"The card file '{path}' is not in format {FormatId}.");
        }

        file.Applet.Validate();
        foreach (var kind in new[] { PinKind.Signing, PinKind.Auth })
        {
            if (!file.Applet.Keys.ContainsKey(JpkiFiles.KeyFid(kind)) || !file.Applet.Pins.ContainsKey(JpkiFiles.PinFid(kind)))
            {
                throw new InvalidDataException($"The card file '{path}' lacks the {kind} key or PIN.");
            }
        }

        return new VirtualCard(file.Applet);
    }

    /// <summary>
    /// Locks the card file (<see cref="StateFiles.Lock"/>), <see cref="Load"/>s it, then saves back to
    /// <paramref name="path"/> on every change so counters survive the process. Dispose to release the lock.
    /// </summary>
    /// <exception cref="IOException">Another program (or another open in this one) has the card open.</exception>
    public static VirtualCard Open(string path)
    {
        var held = StateFiles.Lock(path, "card");
        try
        {
            var card = Load(path);
            card.autoSavePath = path;
            card.fileLock = held;
            return card;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Releases the file lock of an opened card; the card stops saving.</summary>
    public void Dispose()
    {
        lock (state.SyncRoot)
        {
            autoSavePath = null;
            fileLock?.Dispose();
            fileLock = null;
        }
    }

    public void Save(string path)
    {
        lock (state.SyncRoot)
        {
            StateFiles.WriteAtomic(path, new CardFile { Format = FormatId, Applet = state });
        }
    }

    private static void RequireCertificate(byte[] der, string name, byte[]? expectedPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(der, name);
        if (der.Length > JpkiAppletState.MaxFileLength)
        {
            throw new ArgumentException("The certificate is too large for an EF.", name);
        }

        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("The certificate is not valid DER X.509.", name, e);
        }

        using (cert)
        {
            if (expectedPublicKeyInfo is not null && !cert.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expectedPublicKeyInfo))
            {
                throw new ArgumentException("The certificate's public key is not the card's key.", name);
            }
        }
    }

    private T WithLock<T>(Func<T> read)
    {
        lock (state.SyncRoot)
        {
            return read();
        }
    }

    private void AutoSave()
    {
        if (autoSavePath is not null)
        {
            Save(autoSavePath);
        }
    }

    private sealed class CardFile
    {
        public string? Format { get; set; }

        public JpkiAppletState? Applet { get; set; }
    }
}
