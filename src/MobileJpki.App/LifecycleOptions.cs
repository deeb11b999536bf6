using MobileJpki.Card;

namespace MobileJpki.App;

/// <summary>Answers for 解除 given up front (script mode); anything null is asked on screen.</summary>
public sealed class ResumeOptions
{
    /// <summary>The card's signing password: the new signing certificate's application is signed by the card.</summary>
    public string? CardPassword { get; init; }

    public string? NewSigningPassword { get; init; }

    public string? NewSigningPasswordConfirmation { get; init; }
}

/// <summary>Answers for パスワード初期化 given up front (script mode); anything null is asked on screen.</summary>
public sealed class PasswordResetOptions
{
    /// <summary>Which phone password: the signing password or the auth PIN.</summary>
    public required PinKind Kind { get; init; }

    /// <summary>The card's auth PIN (4 digits), for an auth reset.</summary>
    public string? CardPin { get; init; }

    /// <summary>The card's signing password, for a signing reset.</summary>
    public string? CardPassword { get; init; }

    public string? NewPassword { get; init; }

    public string? NewPasswordConfirmation { get; init; }
}
