namespace MobileJpki.Core;

/// <summary>What went wrong, in terms the HTTP edge can map to a status code.</summary>
public enum ErrorKind
{
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    TooEarly,
    Unavailable,
    Internal,
}

/// <summary>
/// The one error type of the service. <see cref="Code"/> is a stable identifier (documented in
/// docs/errors.md) and <see cref="Exception.Message"/> is safe to show to the client: it never carries
/// a secret, a stack trace or another person's data.
/// </summary>
public sealed class MjpkiException : Exception
{
    public MjpkiException(ErrorKind kind, string code, string message)
        : base(message)
    {
        Kind = kind;
        Code = code;
    }

    public MjpkiException(ErrorKind kind, string code, string message, Exception inner)
        : base(message, inner)
    {
        Kind = kind;
        Code = code;
    }

    public ErrorKind Kind { get; }

    public string Code { get; }

    public static MjpkiException BadRequest(string code, string message) => new(ErrorKind.BadRequest, code, message);

    public static MjpkiException Forbidden(string code, string message) => new(ErrorKind.Forbidden, code, message);

    public static MjpkiException NotFound(string code, string message) => new(ErrorKind.NotFound, code, message);

    public static MjpkiException Conflict(string code, string message) => new(ErrorKind.Conflict, code, message);
}
