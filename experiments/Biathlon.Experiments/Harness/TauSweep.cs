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
        var classification = engine.Definition.Task == Planner.Propagation.PredictionTask.Classification;
        var points = new List<TauPoint>();
        foreach (var tau in taus)
        {
            var options = new PredictOptions { Tau = tau };
            double exactMs = 0, approximateMs = 0, fraction = 0, rounds = 0;
            var agree = 0;
            for (var i = 0; i < requests.Count; i++)
            {
                // Alternate which goes first: the second call on a request finds its rows in the CPU caches.
                var request = requests[i];
                PredictionResult exact, approximate;
                double exactTime, approximateTime;
                if (i % 2 == 0)
                {
                    (exact, exactTime) = Timed(() => engine.PredictExact(request.ToRequest()));
                    (approximate, approximateTime) = Timed(() => engine.Predict(request.ToRequest(), options));
                }
                else
                {
                    (approximate, approximateTime) = Timed(() => engine.Predict(request.ToRequest(), options));
                    (exact, exactTime) = Timed(() => engine.PredictExact(request.ToRequest()));
                }

                exactMs += exactTime;
                approximateMs += approximateTime;
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

    private static (PredictionResult, double) Timed(Func<PredictionResult> call)
    {
        var start = Stopwatch.GetTimestamp();
        var result = call();
        return (result, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
