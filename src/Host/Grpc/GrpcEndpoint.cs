using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Biathlon.Host.Grpc;

/// <summary>
/// The HTTP/2-only endpoint the server adds for gRPC over cleartext (h2c): cleartext HTTP/2 needs an endpoint that
/// speaks nothing else, because without TLS there is no protocol negotiation. <see cref="Address"/> says where it
/// listens once Kestrel has bound it, port 0 resolved, so in-process tests find it.
/// </summary>
internal sealed class GrpcEndpoint(string? url)
{
    private ListenOptions? _listener;

    /// <summary>The configured URL (<c>Biathlon:GrpcUrl</c>, or the default); null when the server adds no such endpoint.</summary>
    public string? Url { get; } = url;

    /// <summary>
    /// Where a client on this machine reaches the endpoint once the server has started (a wildcard address reads as
    /// 127.0.0.1); null before that, or when there is no such endpoint.
    /// </summary>
    public Uri? Address
    {
        get
        {
            if (Url is null || _listener?.IPEndPoint is not { Port: > 0 } bound)
            {
                return null;
            }

            var host = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : bound.Address;
            // Not new Uri(Url): Kestrel's URLs may name the host '*' or '+', which Uri refuses.
            var scheme = Url.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
            return new UriBuilder(scheme, host.ToString(), bound.Port).Uri;
        }
    }

    /// <summary>Called by Kestrel's configuration loader with the endpoint's options; Kestrel writes the bound port into them.</summary>
    public void Configured(ListenOptions listener) => _listener = listener;
}
