using Biathlon.Host.Serving;

namespace Biathlon.Host.Http;

/// <summary>Errors as RFC 9457 problem+json: status, title, detail and, for bad input, the <c>field</c> at fault.</summary>
internal static class Problems
{
    public static IResult From(ServeException e, HttpContext context)
    {
        if (e.RetryAfter is { } retry)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var extensions = e.Field is null ? null : new Dictionary<string, object?> { ["field"] = e.Field };
        return TypedResults.Problem(statusCode: e.Status, title: e.Title, detail: e.Message, extensions: extensions);
    }

    public static IResult Denied(int status, string reason) =>
        TypedResults.Problem(statusCode: status, title: status == 401 ? "Unauthorized" : "Forbidden", detail: reason);
}
