namespace Biathlon.Host.Serving;

/// <summary>
/// A call the server refuses, with the HTTP status to answer and, for bad input, the JSON path of the field at fault
/// (<c>request.origin</c>, <c>requests[3].day</c>, <c>tau</c>). Every transport turns it into its own error shape:
/// problem+json over HTTP, a status code over gRPC.
/// </summary>
internal sealed class ServeException(int status, string title, string detail, string? field = null, TimeSpan? retryAfter = null)
    : Exception(detail)
{
    /// <summary>The HTTP status: 400, 401, 403, 404, 413, 415, 429, 503 or 504.</summary>
    public int Status { get; } = status;

    /// <summary>A short, fixed summary of the kind of problem.</summary>
    public string Title { get; } = title;

    /// <summary>The field at fault, as a JSON path into the body, when the problem is one field.</summary>
    public string? Field { get; } = field;

    /// <summary>When to retry (429 and 503), if known.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>A 400 naming <paramref name="field"/>.</summary>
    public static ServeException BadField(string field, string detail) => new(400, "Invalid request field", detail, field);

    /// <summary>A 400 about the body as a whole.</summary>
    public static ServeException BadBody(string detail) => new(400, "Invalid request body", detail, "body");
}
