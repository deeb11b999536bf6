using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using MobileJpki.Core;
using MobileJpki.Storage;

namespace MobileJpki.Server.Hosting;

/// <summary>Maps the one internal error type to problem+json at the edge, hiding everything else.</summary>
public static partial class Problems
{
    public const string TypeBase = "/docs/errors#";

    public static int StatusFor(ErrorKind kind) => kind switch
    {
        ErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.TooEarly => 425,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult From(MjpkiException ex) => Results.Problem(
        statusCode: StatusFor(ex.Kind),
        title: ex.Message,
        type: TypeBase + ex.Code,
        extensions: new Dictionary<string, object?> { ["code"] = ex.Code });

    public static IResult Bad(string code, string message) => From(MjpkiException.BadRequest(code, message));

    /// <summary>
    /// Problems the framework writes itself (status code pages, e.g. Kestrel's 413 for an oversized body that the
    /// endpoint never sees as an exception) get the documented <c>code</c> too.
    /// </summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = problem.Status switch
        {
            StatusCodes.Status400BadRequest => "bad-request",
            StatusCodes.Status413PayloadTooLarge => "body-too-large",
            >= 500 => "internal",
            _ => null,
        };
        if (code is not null)
        {
            problem.Type = TypeBase + code;
            problem.Extensions["code"] = code;
        }
    }

    /// <summary>The exception handler: known errors keep their message; anything else becomes a bare 500.</summary>
    public static async Task HandleAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("MobileJpki.Server.Errors");
        IResult result;
        switch (error)
        {
            case MjpkiException mex:
                result = From(mex);
                break;
            case not null when MjpkiDatabase.IsUnavailable(error):
                // The database is down or unreachable: each write is one transaction, so nothing was half-written.
                LogDatabaseUnavailable(logger, error.GetType().FullName ?? "unknown", context.TraceIdentifier);
                context.Response.Headers.RetryAfter = "5";
                result = From(new MjpkiException(ErrorKind.Unavailable, "database-unavailable", "The service's database is unavailable. Try again shortly."));
                break;
            case BadHttpRequestException bad:
                // Oversized or unreadable bodies: the status code Kestrel chose (400/413) with a plain message.
                var badCode = bad.StatusCode == 413 ? "body-too-large" : "bad-request";
                result = Results.Problem(statusCode: bad.StatusCode, title: bad.StatusCode == 413 ? "The request body is too large." : "The request could not be read.", type: TypeBase + badCode, extensions: new Dictionary<string, object?> { ["code"] = badCode });
                break;
            default:
                // Log the type only: messages of arbitrary exceptions may carry input data.
                LogUnhandled(logger, error?.GetType().FullName ?? "unknown", context.TraceIdentifier);
                result = Results.Problem(statusCode: 500, title: "Internal error. Quote the trace id when reporting it.", type: TypeBase + "internal", extensions: new Dictionary<string, object?> { ["code"] = "internal", ["traceId"] = context.TraceIdentifier });
                break;
        }

        await result.ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable ({ExceptionType}) in request {TraceId}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string exceptionType, string traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} in request {TraceId}")]
    private static partial void LogUnhandled(ILogger logger, string exceptionType, string traceId);
}
