namespace MobileJpki.App;

/// <summary>Where the portal app shows its screens and asks for input (a console, a test, later a web page).</summary>
public interface IAppScreens
{
    /// <summary>A screen with its Japanese title and the English beside it.</summary>
    void Show(string titleJa, string titleEn, string? body = null);

    /// <summary>Progress of a long step, 0–100.</summary>
    void Progress(int percent, string labelJa, string labelEn);

    /// <summary>Asks for a value; <paramref name="secret"/> hides what is typed.</summary>
    string Ask(string promptJa, string promptEn, bool secret);

    /// <summary>Asks a yes/no question (a check box or a tap).</summary>
    bool Confirm(string promptJa, string promptEn);
}

/// <summary>An app-level failure with a message for the person (Japanese first, English beside it).</summary>
public sealed class AppException(string code, string message, int? httpStatus = null) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>The HTTP status of the server's refusal, when the failure is one.</summary>
    public int? HttpStatus { get; } = httpStatus;
}
