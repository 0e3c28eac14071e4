using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Runtime;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Planning;
using MathNet.Numerics;
using MathNet.Numerics.Statistics;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// The offline cost profile (the reference system's "offline phase"): for validation requests, reads every query at
/// several sample fractions from scratch, fits time = w·z + b (w, b ≥ 0) per query, and writes cost-profile.json
/// beside the spec, which the engine then starts its cost averages from.
/// </summary>
public static class Profiler
{
    private static readonly double[] s_fractions = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

    public static CostProfile Run(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, IProgress<string>? progress)
    {
        var queries = engine.Definition.Queries;
        var diagnostics = new PipelineDiagnostics(engine);
        var costs = new List<QueryCost>();
        for (var q = 0; q < queries.Count; q++)
        {
            var fractions = new List<double>();
            var seconds = new List<double>();
            double rows = 0;
            foreach (var request in requests)
            {
                diagnostics.MeasureQuery(request.Fields, q, 1.0); // warm the request's pages and code
                foreach (var z in s_fractions)
                {
                    var (_, exactRows, elapsed) = diagnostics.MeasureQuery(request.Fields, q, z);
                    fractions.Add(z);
                    seconds.Add(elapsed.TotalSeconds);
                    rows += z == 1.0 ? exactRows : 0;
                }
            }

            var model = LinearCostModel.Fit(fractions.ToArray(), seconds.ToArray());
            var meanRows = rows / requests.Count;
            var r2 = RSquared(model, fractions, seconds);
            costs.Add(new QueryCost(queries[q].Name, model.Slope, model.Intercept, meanRows, meanRows > 0 ? model.Slope / meanRows : 0, r2));
            progress?.Report($"profile {queries[q].Name}: {model.Slope * 1e3:0.###} ms per unit fraction + {model.Intercept * 1e6:0.#} µs, {meanRows:N0} rows per request, R² {r2:0.00}");
        }

        var profile = new CostProfile { Queries = costs };
        profile.Save(Path.Combine(engine.Definition.Folder, CostProfile.FileName));
        return profile;
    }

    /// <summary>R² of the fit (MathNet's coefficient of determination); 1 when the times do not vary.</summary>
    private static double RSquared(LinearCostModel model, List<double> fractions, List<double> seconds) =>
        seconds.Variance() > 0 ? GoodnessOfFit.CoefficientOfDetermination(fractions.Select(model.Predict), seconds) : 1;
}
