using System.Diagnostics;
using System.Net.Http.Headers;

namespace Biathlon.Experiments.Load;

/// <summary>One measured request: its HTTP round trip, status (0: no HTTP answer), the engine's own time (NaN unless 200) and whether it was audited.</summary>
public readonly record struct LoadSample(long RoundTripTicks, int Status, double EngineMs, bool Audited)
{
    /// <summary>The round trip in milliseconds.</summary>
    public double RoundTripMs => RoundTripTicks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>What one cell's clients measured.</summary>
/// <param name="Samples">Every request sent after the warm-up and answered within the measured window.</param>
/// <param name="Window">The measured window's length.</param>
/// <param name="Probes">Bodies of the 200 answers to the probe request in the window, in no particular order.</param>
/// <param name="TransportErrors">Messages of requests that got no HTTP answer (at most a few, for the report).</param>
public sealed record CellSamples(IReadOnlyList<LoadSample> Samples, TimeSpan Window, IReadOnlyList<byte[]> Probes, IReadOnlyList<string> TransportErrors);

/// <summary>
/// Closed-loop load: each client sends a request, waits for the whole answer, and sends the next; the clients take the
/// request set's bodies in turn from one shared counter (so every request is served about as often at any client count).
/// Requests are sent from the start on; those sent before the warm-up ends, or answered after the measured window ends,
/// are not recorded, and no request is sent after the window.
/// </summary>
public static class ClosedLoop
{
    private const int MaxTransportMessages = 5;

    /// <summary>An HTTP client for <paramref name="clients"/> concurrent closed-loop clients: one connection each, kept open.</summary>
    public static HttpClient CreateClient(int clients) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = Math.Max(1, clients) + 2,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Runs <paramref name="clients"/> clients against <paramref name="endpoint"/> for the warm-up and the window.</summary>
    /// <param name="http">The client (<see cref="CreateClient"/>).</param>
    /// <param name="endpoint">The predict URL.</param>
    /// <param name="bodies">Request bodies, cycled through from the first.</param>
    /// <param name="clients">Concurrent clients.</param>
    /// <param name="warmup">Unrecorded time first.</param>
    /// <param name="window">Recorded time.</param>
    /// <param name="probeIndex">Index in <paramref name="bodies"/> of the request whose answers are kept.</param>
    public static async Task<CellSamples> RunAsync(HttpClient http, Uri endpoint, IReadOnlyList<byte[]> bodies, int clients, TimeSpan warmup, TimeSpan window, int probeIndex)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(bodies);
        ArgumentOutOfRangeException.ThrowIfZero(bodies.Count);
        var next = -1;
        var begin = Stopwatch.GetTimestamp();
        var measureStart = begin + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureEnd = measureStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var transport = new List<string>();
        var tasks = new Task<(List<LoadSample>, List<byte[]>)>[clients];
        for (var c = 0; c < clients; c++)
        {
            tasks[c] = Task.Run(() => ClientAsync());
        }

        var results = await Task.WhenAll(tasks).ConfigureAwait(false);
        return new CellSamples(
            results.SelectMany(r => r.Item1).ToArray(), window, results.SelectMany(r => r.Item2).ToArray(), transport);

        async Task<(List<LoadSample>, List<byte[]>)> ClientAsync()
        {
            var samples = new List<LoadSample>(4096);
            var probes = new List<byte[]>();
            var buffer = new byte[32 * 1024];
            while (true)
            {
                var start = Stopwatch.GetTimestamp();
                if (start >= measureEnd)
                {
                    break;
                }

                var index = (int)((uint)Interlocked.Increment(ref next) % (uint)bodies.Count);
                var content = new ByteArrayContent(bodies[index]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
                var status = 0;
                var length = 0;
                var audited = false;
                try
                {
                    using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                    status = (int)response.StatusCode;
                    audited = response.Headers.Contains("X-Audit-Sequence");
                    var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        while (true)
                        {
                            if (length == buffer.Length)
                            {
                                Array.Resize(ref buffer, buffer.Length * 2);
                            }

                            var read = await stream.ReadAsync(buffer.AsMemory(length)).ConfigureAwait(false);
                            if (read == 0)
                            {
                                break;
                            }

                            length += read;
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    status = 0;
                    lock (transport)
                    {
                        if (transport.Count < MaxTransportMessages)
                        {
                            transport.Add($"{e.GetType().Name}: {e.Message}");
                        }
                    }
                }

                var end = Stopwatch.GetTimestamp();
                if (start < measureStart)
                {
                    continue;
                }

                if (end > measureEnd)
                {
                    break;
                }

                var body = buffer.AsSpan(0, length);
                samples.Add(new LoadSample(end - start, status, status == 200 ? PredictionBodies.TotalMs(body) : double.NaN, audited));
                if (index == probeIndex && status == 200)
                {
                    probes.Add(body.ToArray());
                }
            }

            return (samples, probes);
        }
    }
}
