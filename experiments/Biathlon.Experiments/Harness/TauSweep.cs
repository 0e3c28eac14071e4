using System.Diagnostics;
using Biathlon.Engine;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Harness;

/// <summary>Biathlon at several required confidences τ on one pipeline, each against exact on the same requests.</summary>
public static class TauSweep
{
    public static List<TauPoint> Run(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, IReadOnlyList<double> taus, IProgress<string>? progress)
    {
        var classification = engine.Definition.Task == Planner.PredictionTask.Classification;
        var points = new List<TauPoint>();
        foreach (var tau in taus)
        {
            var options = new PredictOptions { Tau = tau };
            double exactMs = 0, approximateMs = 0, fraction = 0, rounds = 0;
            var agree = 0;
            foreach (var request in requests)
            {
                var start = Stopwatch.GetTimestamp();
                var exact = engine.PredictExact(request.ToRequest());
                exactMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                start = Stopwatch.GetTimestamp();
                var approximate = engine.Predict(request.ToRequest(), options);
                approximateMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                agree += classification ? (exact.Value == approximate.Value ? 1 : 0) : (Math.Abs(exact.Value - approximate.Value) <= engine.Delta ? 1 : 0);
                fraction += approximate.Queries.Average(q => q.Fraction);
                rounds += approximate.Rounds;
            }

            var n = requests.Count;
            points.Add(new TauPoint(engine.Definition.Name, tau, approximateMs / n, exactMs / approximateMs, (double)agree / n, fraction / n, rounds / n));
            progress?.Report($"τ = {tau}: {approximateMs / n:0.###} ms, speedup {exactMs / approximateMs:0.00}x, agreement {(double)agree / n:P1}");
        }

        return points;
    }
}
