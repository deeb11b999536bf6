using MobileJpki.Core;
using MobileJpki.Core.Delegation;

namespace MobileJpki.Ra;

/// <summary>The SE management key of each CA, which signs phone PIN reset authorisations (docs/secure-element.md).</summary>
public interface ISeManagementSigner
{
    /// <summary>The current signer for <paramref name="hierarchy"/>'s CA; throws when none can be had (CA key gone and the last certificate expired).</summary>
    DelegatedSigner For(Hierarchy hierarchy);
}

/// <summary>The signers of a <see cref="DelegatedCertificates{TSigner}"/> with the SE management profile.</summary>
public sealed class SeManagementSigner(DelegatedCertificates<DelegatedSigner> certificates) : ISeManagementSigner
{
    public DelegatedSigner For(Hierarchy hierarchy) => certificates.For(hierarchy);
}
