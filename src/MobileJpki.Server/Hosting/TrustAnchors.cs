using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Server.Hosting;

/// <summary>
/// Trust anchors that come from configuration (docs/security.md, "Trust anchors"): <c>Ra:SeMakerRoots</c>, the SE
/// maker roots whose key attestations the RA accepts, each entry the path of a PEM file or the PEM text itself (a
/// file or text may hold several certificates). As environment variables <c>Ra__SeMakerRoots__0</c> and so on.
/// </summary>
public sealed class TrustAnchorOptions
{
    /// <summary>The section the options are read from.</summary>
    public const string Section = "Ra";

    /// <summary>PEM files or inline PEM of the SE maker roots. Required outside the sandbox.</summary>
    public List<string> SeMakerRoots { get; set; } = [];
}

/// <summary>
/// The SE maker roots the RA trusts: those configured, plus the sandbox maker root (<see cref="SeMakerRoots.Default"/>)
/// when and only when the sandbox is on. The sandbox root's private key ships inside MobileJpki.Device, so anyone can
/// mint attestations under it: outside the sandbox it is refused even when configured by hand.
/// </summary>
public sealed class SeMakerTrustAnchors
{
    public SeMakerTrustAnchors(IOptions<TrustAnchorOptions> options, IOptions<SandboxOptions> sandbox, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(time);
        var errors = new List<string>();
        Roots = Load(options.Value.SeMakerRoots, sandbox.Value.Enabled, time.GetUtcNow(), errors);
        if (errors.Count > 0)
        {
            // Validation at start reports these first; this only guards a host that skipped it.
            throw new OptionsValidationException(TrustAnchorOptions.Section, typeof(TrustAnchorOptions), errors);
        }
    }

    /// <summary>The roots, configured ones first, each once.</summary>
    public IReadOnlyList<X509Certificate2> Roots { get; }

    /// <summary>Reads every configured root; what is wrong with any of them goes to <paramref name="errors"/>, all of it.</summary>
    internal static List<X509Certificate2> Load(IReadOnlyList<string> entries, bool sandbox, DateTimeOffset now, List<string> errors)
    {
        using var sandboxRoot = SeMakerRoots.Default;
        var roots = new List<X509Certificate2>();
        for (var i = 0; i < entries.Count; i++)
        {
            var name = $"Ra:SeMakerRoots:{i}";
            foreach (var root in Read(entries[i], name, errors))
            {
                if (root.RawData.AsSpan().SequenceEqual(sandboxRoot.RawData) && !sandbox)
                {
                    errors.Add($"{name} is the sandbox SE maker root, whose private key is published with MobileJpki.Device; it is trusted only with Sandbox:Enabled=true.");
                }
                else if (Check(root, now) is { } problem)
                {
                    errors.Add($"{name} ('{root.Subject}') {problem}.");
                }
                else if (!roots.Any(r => r.RawData.AsSpan().SequenceEqual(root.RawData)))
                {
                    roots.Add(root);
                    continue;
                }

                root.Dispose();
            }
        }

        if (sandbox)
        {
            if (!roots.Any(r => r.RawData.AsSpan().SequenceEqual(sandboxRoot.RawData)))
            {
                roots.Add(SeMakerRoots.Default);
            }
        }
        else if (roots.Count == 0 && errors.Count == 0)
        {
            errors.Add("Ra:SeMakerRoots is empty: outside the sandbox (Sandbox:Enabled=false) the RA needs the root certificate of every SE maker whose phones it accepts (a PEM file's path or the PEM text, e.g. Ra__SeMakerRoots__0=/etc/mjpki/se-maker-root.pem); the sandbox maker root is not trusted there.");
        }

        return roots;
    }

    private static IEnumerable<X509Certificate2> Read(string entry, string name, List<string> errors)
    {
        string pem;
        if (string.IsNullOrWhiteSpace(entry))
        {
            errors.Add($"{name} is empty.");
            return [];
        }

        if (entry.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            pem = entry;
        }
        else
        {
            try
            {
                pem = File.ReadAllText(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                errors.Add($"{name}: the file '{entry}' cannot be read ({e.GetType().Name}).");
                return [];
            }
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPem(pem);
            certificates.AddRange(collection);
        }
        catch (CryptographicException)
        {
            errors.Add($"{name} holds a PEM block that is not an X.509 certificate.");
            return [];
        }

        if (certificates.Count == 0)
        {
            errors.Add($"{name} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return certificates;
    }

    private static string? Check(X509Certificate2 root, DateTimeOffset now)
    {
        if (root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            return "is not a CA certificate (basicConstraints cA)";
        }

        if (now < root.NotBefore.ToUniversalTime() || now > root.NotAfter.ToUniversalTime())
        {
            return $"is not valid now (valid {root.NotBefore.ToUniversalTime():yyyy-MM-dd} to {root.NotAfter.ToUniversalTime():yyyy-MM-dd})";
        }

        try
        {
            _ = new KeyAttestationTrust(root.RawData, deviceCapacity: 1);
            return null;
        }
        catch (ArgumentException)
        {
            return "cannot be read as a DER certificate";
        }
    }
}

/// <summary>Validates <see cref="TrustAnchorOptions"/> at start, naming every configured root that is wrong.</summary>
internal sealed class TrustAnchorValidator(IOptions<SandboxOptions> sandbox, TimeProvider time) : IValidateOptions<TrustAnchorOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustAnchorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var root in SeMakerTrustAnchors.Load(options.SeMakerRoots, sandbox.Value.Enabled, time.GetUtcNow(), errors))
        {
            root.Dispose();
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
