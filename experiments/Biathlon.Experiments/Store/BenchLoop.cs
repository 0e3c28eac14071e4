using System.Collections.Concurrent;
using System.Diagnostics;
using Biathlon.Engine;

namespace Biathlon.Experiments.Store;

/// <summary>How a request is served: <c>PredictExactAsync</c> or <c>PredictAsync</c> with the pipeline's bound.</summary>
public enum BenchMode
{
    Exact,
    Biathlon,
}

/// <summary>One answered (or failed) request.</summary>
/// <param name="Index">The request's index in the pipeline's request list.</param>
/// <param name="Ticks">Wall time of the call (<see cref="Stopwatch"/> ticks).</param>
/// <param name="Bytes">Bytes fetched from Redis.</param>
/// <param name="Values">Segments fetched from Redis.</param>
/// <param name="CacheHits">Segments served by the hot-segment cache.</param>
/// <param name="FetchMs">Time waiting on Redis.</param>
/// <param name="Rounds">The prediction's rounds.</param>
/// <param name="Shortcut">Whether the planner took the exact shortcut.</param>
/// <param name="Value">The prediction.</param>
/// <param name="Delta">The request's δ as the engine reports it.</param>
/// <param name="Queries">Each feature query's final state.</param>
/// <param name="Error">Why it failed; null when answered.</param>
internal readonly record struct BenchSample(
    int Index, long Ticks, long Bytes, int Values, int CacheHits, double FetchMs, int Rounds, bool Shortcut, double Value, double Delta, IReadOnlyList<QueryOutcome> Queries, string? Error)
{
    public double Ms => Ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// Closed-loop clients calling one engine in process: each client sends a request, awaits its answer, sends the next.
/// Each client walks its own stream of the request list (client c starts at c·n/C and moves on cyclically), and keeps
/// one position per mode, so both modes see the same requests in the same order. A slice runs every client in one mode
/// until its deadline (each at least one request) and ends when the last answer is in.
/// </summary>
internal sealed class BenchLoop(BiathlonEngine engine, IReadOnlyList<IReadOnlyDictionary<string, object?>> requests, int clients)
{
    private readonly int[][] _next = [new int[clients], new int[clients]];
    private bool _positioned;

    /// <summary>Runs one slice of <paramref name="mode"/> for <paramref name="duration"/>; its samples and its wall time.</summary>
    public async Task<(List<BenchSample> Samples, TimeSpan Elapsed)> RunSliceAsync(BenchMode mode, TimeSpan duration)
    {
        if (!_positioned)
        {
            _positioned = true;
            for (var c = 0; c < clients; c++)
            {
                _next[0][c] = _next[1][c] = (int)((long)c * requests.Count / clients);
            }
        }

        var positions = _next[(int)mode];
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task<List<BenchSample>>[clients];
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            tasks[c] = Task.Run(async () =>
            {
                var samples = new List<BenchSample>();
                do
                {
                    var index = positions[client];
                    positions[client] = (index + 1) % requests.Count;
                    samples.Add(await OneAsync(mode, index).ConfigureAwait(false));
                }
                while (Stopwatch.GetTimestamp() < deadline);
                return samples;
            });
        }

        var all = await Task.WhenAll(tasks).ConfigureAwait(false);
        return (all.SelectMany(s => s).ToList(), Stopwatch.GetElapsedTime(start));
    }

    private async Task<BenchSample> OneAsync(BenchMode mode, int index)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = mode == BenchMode.Exact
                ? await engine.PredictExactAsync(requests[index]).ConfigureAwait(false)
                : await engine.PredictAsync(requests[index]).ConfigureAwait(false);
            var ticks = Stopwatch.GetTimestamp() - started;
            var store = result.Store;
            return new BenchSample(index, ticks, store.Bytes, store.Values, store.CacheHits, store.FetchTime.TotalMilliseconds, result.Rounds,
                result.TookExactShortcut, result.Value, result.Delta, result.Queries, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new BenchSample(index, Stopwatch.GetTimestamp() - started, 0, 0, 0, 0, 0, false, double.NaN, double.NaN, [], $"{e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>Figures of a mode's samples.</summary>
internal static class BenchStats
{
    /// <summary>The stats of <paramref name="samples"/> over <paramref name="seconds"/>; within-δ against <paramref name="exact"/> (request index → exact value).</summary>
    public static ModeStats Of(IReadOnlyList<BenchSample> samples, double seconds, ConcurrentDictionary<int, double> exact, bool classification)
    {
        var ok = samples.Where(s => s.Error is null).ToArray();
        var errors = samples.Where(s => s.Error is not null).Select(s => s.Error!).Distinct(StringComparer.Ordinal).Take(5).ToArray();
        var ms = ok.Select(s => s.Ms).Order().ToArray();
        var bytes = ok.Select(s => (double)s.Bytes).Order().ToArray();
        return new ModeStats(
            ok.Length, samples.Count - ok.Length, seconds, seconds > 0 ? ok.Length / seconds : double.NaN,
            Mean(ms), Percentile(ms, 0.50), Percentile(ms, 0.95), Percentile(ms, 0.99), ms.Length == 0 ? double.NaN : ms[^1],
            Mean(bytes), Percentile(bytes, 0.50), Mean(ok.Select(s => (double)s.Values)), Mean(ok.Select(s => (double)s.CacheHits)),
            Mean(ok.Select(s => s.FetchMs)), Mean(ok.Select(s => (double)s.Rounds)), ok.Length == 0 ? double.NaN : ok.Count(s => s.Shortcut) / (double)ok.Length,
            WithinDelta(ok, exact, classification), errors)
        { Queries = QueryFigures(ok) };
    }

    /// <summary>Per feature query, over the answered samples: the final fraction, how often it was read completely and why, rows.</summary>
    public static IReadOnlyList<QueryStats> QueryFigures(IReadOnlyList<BenchSample> samples)
    {
        if (samples.Count == 0)
        {
            return [];
        }

        var names = samples[0].Queries.Select(q => q.Name).ToArray();
        var figures = new QueryStats[names.Length];
        for (var q = 0; q < names.Length; q++)
        {
            var outcomes = samples.Where(s => s.Queries.Count > q).Select(s => s.Queries[q]).ToArray();
            var exact = outcomes.Where(o => o.ExactReason != ExactReason.None).ToArray();
            var reasons = exact.GroupBy(o => o.ExactReason).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count() / (double)outcomes.Length:P0}");
            figures[q] = new QueryStats(
                names[q], outcomes.Average(o => o.Fraction), exact.Length / (double)outcomes.Length, string.Join(", ", reasons),
                outcomes.Average(o => (double)o.RowsScanned), outcomes.Average(o => (double)o.EstimatedRows));
        }

        return figures;
    }

    /// <summary>Share of answered samples within δ of the exact answer to the same request (classification: the same label); NaN when none has one.</summary>
    public static double WithinDelta(IEnumerable<BenchSample> samples, ConcurrentDictionary<int, double> exact, bool classification)
    {
        var compared = 0;
        var within = 0;
        foreach (var s in samples)
        {
            if (s.Error is null && exact.TryGetValue(s.Index, out var e))
            {
                compared++;
                within += (classification ? s.Value == e : Math.Abs(s.Value - e) <= s.Delta) ? 1 : 0;
            }
        }

        return compared == 0 ? double.NaN : within / (double)compared;
    }

    /// <summary>Exact ÷ biathlon for times and bytes, biathlon ÷ exact for throughput; plain and paired (the same requests).</summary>
    public static CellRatios Ratios(ModeStats exact, ModeStats biathlon, IReadOnlyList<BenchSample> exactSamples, IReadOnlyList<BenchSample> biathlonSamples)
    {
        static Dictionary<int, (double Ms, double Bytes)> PerRequest(IReadOnlyList<BenchSample> samples) =>
            samples.Where(s => s.Error is null).GroupBy(s => s.Index).ToDictionary(g => g.Key, g => (g.Average(s => s.Ms), g.Average(s => (double)s.Bytes)));

        var e = PerRequest(exactSamples);
        var b = PerRequest(biathlonSamples);
        var common = e.Keys.Where(b.ContainsKey).ToArray();
        var plain = new CellRatios(
            exact.MeanMs / biathlon.MeanMs, exact.P50Ms / biathlon.P50Ms, exact.P95Ms / biathlon.P95Ms, exact.P99Ms / biathlon.P99Ms,
            biathlon.ThroughputRps / exact.ThroughputRps, Ratio(exact.BytesMean, biathlon.BytesMean), Ratio(exact.BytesP50, biathlon.BytesP50));
        if (common.Length == 0)
        {
            return plain;
        }

        return plain with
        {
            PairedRequests = common.Length,
            PairedP50Latency = Percentile(common.Select(i => e[i].Ms).Order().ToArray(), 0.5) / Percentile(common.Select(i => b[i].Ms).Order().ToArray(), 0.5),
            PairedMeanLatency = common.Average(i => e[i].Ms) / common.Average(i => b[i].Ms),
            PairedBytesMean = Ratio(common.Average(i => e[i].Bytes), common.Average(i => b[i].Bytes)),
        };
    }

    /// <summary>Linear interpolation between the order statistics around (n − 1)·q; NaN for no values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var position = (sorted.Count - 1) * q;
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    private static double Mean(IEnumerable<double> values)
    {
        var list = values as IReadOnlyCollection<double> ?? values.ToArray();
        return list.Count == 0 ? double.NaN : list.Average();
    }

    /// <summary>a ÷ b; NaN when both are 0 (nothing fetched: in process), +∞ when only b is.</summary>
    private static double Ratio(double a, double b) => a == 0 && b == 0 ? double.NaN : a / b;
}
