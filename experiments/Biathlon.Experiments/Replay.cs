using System.Diagnostics;
using System.Globalization;
using Biathlon.Engine;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments;

/// <summary>One request replayed exact and approximate.</summary>
public sealed record ReplayRecord(
    HarnessRequest Request, double Label, double Exact, double Approximate, double ExactMs, double ApproximateMs,
    int Rounds, double MeanFraction, bool Shortcut, double Confidence, StopReason Stop, StageTimings Timings);

/// <summary>Replays requests through <see cref="BiathlonEngine.PredictExact"/> and <see cref="BiathlonEngine.Predict"/> side by side, one at a time, and summarises.</summary>
public sealed class ReplayReport
{
    private ReplayReport(IReadOnlyList<ReplayRecord> records, double delta, double tau, bool classification)
    {
        Records = records;
        Delta = delta;
        Tau = tau;
        Classification = classification;
    }

    public IReadOnlyList<ReplayRecord> Records { get; }

    public double Delta { get; }

    public double Tau { get; }

    public bool Classification { get; }

    /// <summary>Share of requests whose approximate prediction is within δ of the exact one (classification: equal).</summary>
    public double WithinDelta => Records.Count(r => Classification ? r.Exact == r.Approximate : Math.Abs(r.Approximate - r.Exact) <= Delta) / (double)Records.Count;

    public double MeanExactMs => Records.Average(r => r.ExactMs);

    public double MeanApproximateMs => Records.Average(r => r.ApproximateMs);

    public double Speedup => MeanExactMs / MeanApproximateMs;

    public double MeanRounds => Records.Average(r => r.Rounds);

    public double MeanFraction => Records.Average(r => r.MeanFraction);

    public double ShortcutShare => Records.Count(r => r.Shortcut) / (double)Records.Count;

    /// <summary>Replays <paramref name="requests"/> (after a few warm-up calls), alternating which of exact and approximate runs first.</summary>
    public static ReplayReport Run(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, IProgress<string>? progress = null, PredictOptions? options = null)
    {
        var classification = engine.Definition.Task == PredictionTask.Classification;
        foreach (var warm in requests.Take(Math.Min(10, requests.Count)))
        {
            engine.PredictExact(warm.ToRequest());
            engine.Predict(warm.ToRequest(), options);
        }

        var records = new List<ReplayRecord>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i].ToRequest();
            PredictionResult exact, approximate;
            double exactMs, approximateMs;
            if (i % 2 == 0)
            {
                (exact, exactMs) = Timed(() => engine.PredictExact(request));
                (approximate, approximateMs) = Timed(() => engine.Predict(request, options));
            }
            else
            {
                (approximate, approximateMs) = Timed(() => engine.Predict(request, options));
                (exact, exactMs) = Timed(() => engine.PredictExact(request));
            }

            var label = requests[i].Label;
            var sampled = approximate.Queries.Where((q, index) => engine.Definition.Queries[index].Sampled).ToArray();
            records.Add(new ReplayRecord(
                requests[i], label, exact.Value, approximate.Value, exactMs, approximateMs, approximate.Rounds,
                sampled.Length == 0 ? 1 : sampled.Average(q => q.Fraction), approximate.TookExactShortcut, approximate.Confidence,
                approximate.StopReason, approximate.Timings));
            if ((i + 1) % 50 == 0 || i + 1 == requests.Count)
            {
                progress?.Report($"replayed {i + 1}/{requests.Count}");
            }
        }

        return new ReplayReport(records, engine.Delta, engine.Definition.Bound.Tau, classification);
    }

    /// <summary>Prints the summary table.</summary>
    public void Print(TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        var labels = Records.Select(r => (float)r.Label).ToArray();
        string Accuracy(Func<ReplayRecord, double> prediction)
        {
            var predicted = Records.Select(r => (float)prediction(r)).ToArray();
            return Classification
                ? "F1 " + Metrics.F1(labels, predicted).ToString("0.000", c)
                : "R² " + Metrics.RSquared(labels, predicted).ToString("0.000", c);
        }

        writer.WriteLine($"{Records.Count} held-out requests, δ = {Delta.ToString("0.###", c)}, τ = {Tau.ToString(c)}");
        writer.WriteLine($"  {"",-12} {"mean ms",9} {"p50 ms",9} {"p99 ms",9} {"accuracy vs labels",20}");
        writer.WriteLine($"  {"exact",-12} {MeanExactMs,9:F3} {Metrics.Percentile(Records.Select(r => r.ExactMs).ToArray(), 0.5),9:F3} {Metrics.Percentile(Records.Select(r => r.ExactMs).ToArray(), 0.99),9:F3} {Accuracy(r => r.Exact),20}");
        writer.WriteLine($"  {"approximate",-12} {MeanApproximateMs,9:F3} {Metrics.Percentile(Records.Select(r => r.ApproximateMs).ToArray(), 0.5),9:F3} {Metrics.Percentile(Records.Select(r => r.ApproximateMs).ToArray(), 0.99),9:F3} {Accuracy(r => r.Approximate),20}");
        writer.WriteLine($"  speedup (mean exact / mean approximate): {Speedup.ToString("0.00", c)}x");
        writer.WriteLine($"  within δ of exact: {WithinDelta.ToString("P1", c)} (required ≥ {Tau.ToString("P0", c)})");
        writer.WriteLine($"  mean rounds {MeanRounds.ToString("0.00", c)}, mean sample fraction {MeanFraction.ToString("0.000", c)}, exact shortcut taken on {ShortcutShare.ToString("P0", c)}");
        var sampling = Records.Average(r => r.Timings.Sampling.TotalMilliseconds);
        var propagation = Records.Average(r => r.Timings.Propagation.TotalMilliseconds);
        var planning = Records.Average(r => r.Timings.Planning.TotalMilliseconds);
        writer.WriteLine($"  approximate time per stage (mean ms): sampling {sampling.ToString("F3", c)}, propagation + model {propagation.ToString("F3", c)}, planning {planning.ToString("F3", c)}");
        var stops = Records.GroupBy(r => r.Stop).Select(g => $"{g.Key} {g.Count()}");
        writer.WriteLine($"  stop reasons: {string.Join(", ", stops)}");
        var slower = Records.Where(r => r.ApproximateMs > r.ExactMs).ToArray();
        if (slower.Length > 0)
        {
            // Where sampling does not pay: the QMC round (a batch of N·(G+2) model rows) costs more than reading every row.
            writer.WriteLine(
                $"  approximate slower than exact on {slower.Length} of {Records.Count} requests: there, exact took {slower.Average(r => r.ExactMs).ToString("F3", c)} ms " +
                $"while approximate spent {slower.Average(r => r.Timings.Propagation.TotalMilliseconds).ToString("F3", c)} ms in propagation + model " +
                $"over {slower.Average(r => r.Rounds).ToString("0.0", c)} rounds and {slower.Average(r => r.Timings.Sampling.TotalMilliseconds).ToString("F3", c)} ms sampling");
        }
    }

    private static (PredictionResult, double) Timed(Func<PredictionResult> call)
    {
        var start = Stopwatch.GetTimestamp();
        var result = call();
        return (result, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
