using MobileJpki.Core;

namespace MobileJpki.App;

/// <summary>Answers given up front (script mode); anything null is asked on screen.</summary>
public sealed class ApplyOptions
{
    public string? CardPassword { get; init; }

    public IReadOnlyList<Hierarchy>? Kinds { get; init; }

    public string? NewSigningPassword { get; init; }

    public string? NewSigningPasswordConfirmation { get; init; }

    public string? NewAuthPin { get; init; }

    public string? NewAuthPinConfirmation { get; init; }

    public string? Email { get; init; }

    /// <summary>Script mode answers 確認しました itself.</summary>
    public bool Confirmed { get; init; }

    /// <summary>機種変更: the person agreed that the old phone's certificates will be revoked (`--yes`); otherwise it is asked.</summary>
    public bool ConfirmRevokeOldPhone { get; init; }
}
