using System.Buffers;
using Biathlon.Host.Serving;
using Microsoft.AspNetCore.Http.Features;

namespace Biathlon.Host.Http;

/// <summary>Reads a request body into memory up to the configured limit: 413 beyond it, 415 for a non-JSON content type.</summary>
internal static class BodyReader
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentType is { Length: > 0 } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ServeException(415, "Unsupported media type", $"The body must be application/json; got '{(type.Length > 64 ? type[..64] : type)}'.", "Content-Type");
        }

        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1L;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw TooLarge(maxBytes);
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ServeException TooLarge(int maxBytes) =>
        new(413, "Body too large", $"The body is larger than the server's limit of {maxBytes} bytes.", "body");
}
