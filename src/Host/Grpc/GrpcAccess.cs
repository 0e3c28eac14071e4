using Biathlon.Host.Http;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Grpc.Core;

namespace Biathlon.Host.Grpc;

/// <summary>
/// Checks a gRPC call's API key, sent as the metadata <c>authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>:
/// gRPC metadata arrive as HTTP/2 headers, so the JSON API's <see cref="CallerKey"/> reads them.
/// </summary>
internal static class GrpcAccess
{
    /// <summary>The caller, or a <see cref="ServeException"/> 401 (no or unknown key) or 403 (role or pipeline not granted).</summary>
    public static Caller Authorize(ApiKeyStore keys, ServerCallContext context, Role role, string? pipeline)
    {
        var access = keys.Check(CallerKey.Of(context.GetHttpContext().Request), role, pipeline);
        return access.Caller ?? throw new ServeException(access.Status, access.Status == 401 ? "Unauthorized" : "Forbidden", access.Reason!);
    }
}
