using System.Globalization;
using System.Text;
using Biathlon.Host.Serving;
using Grpc.Core;

namespace Biathlon.Host.Grpc;

/// <summary>
/// Turns a <see cref="ServeException"/> into the gRPC status a client sees. The detail is the exception's message
/// (for a bad field, followed by the field's path); the trailer <c>field</c> carries the path and <c>retry-after</c>
/// the seconds to wait, as the JSON API's problem field and Retry-After header do. Statuses: 400 and 415
/// INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 413 and 429 RESOURCE_EXHAUSTED (gRPC
/// answers an over-large message with it too), 422 FAILED_PRECONDITION, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED.
/// </summary>
internal static class RpcErrors
{
    /// <summary>The trailer naming the field at fault by its JSON path.</summary>
    public const string FieldTrailer = "field";

    /// <summary>The trailer giving whole seconds to wait before retrying (429 and 503).</summary>
    public const string RetryAfterTrailer = "retry-after";

    public static RpcException From(ServeException e)
    {
        var trailers = new Metadata();
        if (e.Field is { } field)
        {
            trailers.Add(FieldTrailer, PercentEncode(field));
        }

        if (e.RetryAfter is { } retry)
        {
            trailers.Add(RetryAfterTrailer, Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }

        var detail = e.Status == 400 && e.Field is not null ? $"{e.Message} (field: {e.Field})" : e.Message;
        return new RpcException(new global::Grpc.Core.Status(CodeOf(e.Status), detail), trailers);
    }

    /// <summary>The gRPC status code for a <see cref="ServeException.Status"/>.</summary>
    public static StatusCode CodeOf(int httpStatus) => httpStatus switch
    {
        400 or 415 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        413 or 429 => StatusCode.ResourceExhausted,
        422 => StatusCode.FailedPrecondition,
        503 => StatusCode.Unavailable,
        504 => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    /// <summary>A call the client cancelled, or whose gRPC deadline passed while it ran.</summary>
    public static RpcException Cancelled(ServerCallContext context) => context.Deadline <= DateTime.UtcNow
        ? new RpcException(new global::Grpc.Core.Status(StatusCode.DeadlineExceeded, "The call's gRPC deadline passed."))
        : new RpcException(new global::Grpc.Core.Status(StatusCode.Cancelled, "The client cancelled the call."));

    // Metadata values must be printable ASCII; a field path can hold any character of a client's field name. The
    // encoding is grpc-message's: UTF-8 bytes outside printable ASCII, and '%', as %XX.
    private static string PercentEncode(string text)
    {
        if (text.All(c => c is >= ' ' and <= '~' and not '%'))
        {
            return text;
        }

        var encoded = new StringBuilder(text.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)' ' and <= (byte)'~' and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
