using System.Diagnostics;
using System.Text.Json.Nodes;
using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;
using Biathlon.Planner.Propagation;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// Latency against rows per request: the same pipeline with one heavy query's window set to several lengths, served
/// exact, by biathlon with the exact shortcut on (the pipeline's setting) and off, and by DuckDB. The model stays the one
/// trained on the spec's window (its accuracy is not the point here; how cost grows with the rows read is). Per point it
/// records the mean latency and the share of requests within δ of exact's prediction at that setting.
/// </summary>
public static class ScalingExperiment
{
    /// <summary>Method name of biathlon served with <c>PredictOptions.ExactShortcut = false</c>.</summary>
    public const string BiathlonNoShortcut = "biathlon-no-shortcut";

    private static readonly PredictOptions s_noShortcut = new() { ExactShortcut = false };

    /// <summary>A window sweep: the query whose window varies and its lengths (the spec's <c>window.from</c>, negated).</summary>
    /// <param name="Query">Query name in the pipeline spec.</param>
    /// <param name="Windows">Window lengths, e.g. "7d".</param>
    public sealed record Sweep(string Query, IReadOnlyList<string> Windows);

    /// <summary>
    /// The sweeps the harness runs, per pipeline: flight-delay's 7-day MEDIAN over every flight (the query whose exact
    /// cost grows fastest: a sort, up to 1.5 M rows at 90 days) and pm10-forecast's 7-day MEDIAN over all 70 stations
    /// (70 rows a day: about 490 rows at 7 days, 51,000 at two years).
    /// </summary>
    public static IReadOnlyDictionary<string, Sweep> Sweeps { get; } = new Dictionary<string, Sweep>
    {
        ["flight-delay"] = new("all_7d", ["1d", "7d", "30d", "90d"]),
        ["pm10-forecast"] = new("all_7d", ["7d", "30d", "180d", "730d"]),
    };

    /// <summary>Serves <paramref name="requests"/> at each window of <paramref name="query"/>; one point per method and window.</summary>
    public static List<ScalingPoint> Run(
        string pipelineFolder, string dataDirectory, string runFolder, string query, IReadOnlyList<string> windows,
        IReadOnlyList<HarnessRequest> requests, bool duckDb, IProgress<string>? progress, int seed = 0)
    {
        var points = new List<ScalingPoint>();
        var baseSpec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipelineFolder, PipelineSpecLoader.SpecFileName)))!.AsObject();
        var name = baseSpec["name"]!.GetValue<string>();
        foreach (var window in windows)
        {
            var folder = WriteSpec(baseSpec, pipelineFolder, dataDirectory, runFolder, name, query, window);
            using var engine = BiathlonEngine.LoadAsync(folder, new EngineOptions
            {
                DataDirectory = dataDirectory,
                CacheDirectory = Path.Combine(pipelineFolder, ".cache"),
            }).GetAwaiter().GetResult();
            using var model = OnnxModel.Load(engine.Definition.ModelFile, engine.Definition.Task);
            using var duck = duckDb ? DuckDbFeatures.Open(engine.Definition) : null;
            var features = new float[engine.InputNames.Count];
            var output = new float[1];
            PredictionResult? lastExact = null;
            var methods = new List<(string Name, Func<HarnessRequest, double> Serve)>
            {
                ("exact", r => (lastExact = engine.PredictExact(r.ToRequest())).Value),
                ("biathlon", r => engine.Predict(r.ToRequest()).Value),
                (BiathlonNoShortcut, r => engine.Predict(r.ToRequest(), s_noShortcut).Value),
            };
            if (duck is not null)
            {
                methods.Add(("duckdb", DuckDb));
            }

            // DuckDB computes the features in SQL; the model then runs on them once.
            double DuckDb(HarnessRequest r)
            {
                duck!.ComputeFeatures(r.Fields, features);
                model.EvaluateRowMajor(features, 1, output);
                return output[0];
            }

            foreach (var warm in requests.Take(5))
            {
                foreach (var (_, serve) in methods)
                {
                    serve(warm);
                }
            }

            var times = methods.ToDictionary(m => m.Name, _ => new double[requests.Count]);
            var values = methods.ToDictionary(m => m.Name, _ => new double[requests.Count]);
            var order = Enumerable.Range(0, methods.Count).ToArray();
            var random = new Random(seed);
            double rows = 0;
            for (var i = 0; i < requests.Count; i++)
            {
                // A method that follows another on the same request meets warm caches: a seeded random order per request.
                random.Shuffle(order);
                foreach (var m in order)
                {
                    var (method, serve) = methods[m];
                    var start = Stopwatch.GetTimestamp();
                    values[method][i] = serve(requests[i]);
                    times[method][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                rows += lastExact!.Queries.Sum(q => q.EstimatedRows);
            }

            var classification = engine.Definition.Task == PredictionTask.Classification;
            foreach (var (method, _) in methods)
            {
                var agreement = Agreement(values["exact"], values[method], classification, engine.Delta);
                points.Add(new ScalingPoint(name, method, window, rows / requests.Count, times[method].Average(), requests.Count, agreement));
            }

            progress?.Report($"scaling {name} {query} window {window}: {rows / requests.Count:N0} rows per request; "
                + string.Join(", ", methods.Select(m => $"{m.Name} {times[m.Name].Average():0.###} ms")));
        }

        return points;
    }

    /// <summary>
    /// Share of requests whose <paramref name="values"/> agree with <paramref name="exact"/>: within
    /// <paramref name="delta"/> (regression) or the same label, rounding (classification). NaN for no requests.
    /// </summary>
    public static double Agreement(IReadOnlyList<double> exact, IReadOnlyList<double> values, bool classification, double delta)
    {
        if (exact.Count != values.Count)
        {
            throw new ArgumentException($"{exact.Count} exact values but {values.Count} values.", nameof(values));
        }

        if (exact.Count == 0)
        {
            return double.NaN;
        }

        var agree = 0;
        for (var i = 0; i < exact.Count; i++)
        {
            agree += classification
                ? Math.Round(values[i]) == Math.Round(exact[i]) ? 1 : 0
                : Math.Abs(values[i] - exact[i]) <= delta ? 1 : 0;
        }

        return (double)agree / exact.Count;
    }

    /// <summary>Writes the spec with <paramref name="query"/>'s window starting <paramref name="window"/> back; returns its folder.</summary>
    private static string WriteSpec(
        JsonObject baseSpec, string pipelineFolder, string dataDirectory, string runFolder, string name, string query, string window)
    {
        var spec = baseSpec.DeepClone().AsObject();
        var target = spec["queries"]!.AsArray().FirstOrDefault(q => q!["name"]!.GetValue<string>() == query)
            ?? throw new CliException($"pipeline '{name}' has no query '{query}' to sweep", 2);
        target["window"]!["from"] = "-" + window;
        spec["model"]!["file"] = Path.Combine(pipelineFolder, "model.onnx");
        foreach (var table in spec["tables"]!.AsArray())
        {
            table!["source"] = table["source"]!.GetValue<string>().Replace("${data}", dataDirectory, StringComparison.Ordinal);
        }

        var folder = Path.Combine(runFolder, "scaling", $"{name}-{query}-{window}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, PipelineSpecLoader.SpecFileName), spec.ToJsonString());
        return folder;
    }
}
