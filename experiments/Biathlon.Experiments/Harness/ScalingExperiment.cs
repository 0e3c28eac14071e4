using System.Diagnostics;
using System.Text.Json.Nodes;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Engine;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Experiments.Results;

namespace Biathlon.Experiments.Harness;

/// <summary>
/// Latency against rows per request: the same pipeline with one heavy query's window set to several lengths, served
/// exact, by biathlon and by DuckDB. The model stays the one trained on the spec's window (its accuracy is not the
/// point here; how cost grows with the rows read is).
/// </summary>
public static class ScalingExperiment
{
    public static List<ScalingPoint> Run(
        string pipelineFolder, string dataDirectory, string runFolder, string query, IReadOnlyList<string> windows,
        IReadOnlyList<HarnessRequest> requests, bool duckDb, IProgress<string>? progress)
    {
        var points = new List<ScalingPoint>();
        var baseSpec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipelineFolder, PipelineSpecLoader.SpecFileName)))!.AsObject();
        var name = baseSpec["name"]!.GetValue<string>();
        foreach (var window in windows)
        {
            var spec = baseSpec.DeepClone().AsObject();
            var target = spec["queries"]!.AsArray().First(q => q!["name"]!.GetValue<string>() == query)!;
            target["window"]!["from"] = "-" + window;
            spec["model"]!["file"] = Path.Combine(pipelineFolder, "model.onnx");
            foreach (var table in spec["tables"]!.AsArray())
            {
                table!["source"] = table["source"]!.GetValue<string>().Replace("${data}", dataDirectory, StringComparison.Ordinal);
            }

            var folder = Path.Combine(runFolder, "scaling", $"{name}-{query}-{window}");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, PipelineSpecLoader.SpecFileName), spec.ToJsonString());
            using var engine = BiathlonEngine.LoadAsync(folder, new EngineOptions
            {
                DataDirectory = dataDirectory,
                CacheDirectory = Path.Combine(pipelineFolder, ".cache"),
            }).GetAwaiter().GetResult();
            using var model = OnnxModel.Load(engine.Definition.ModelFile, engine.Definition.Task);
            using var duck = duckDb ? DuckDbFeatures.Open(engine.Definition) : null;
            var features = new float[engine.InputNames.Count];
            var output = new float[1];
            var times = new Dictionary<string, List<double>> { ["exact"] = [], ["biathlon"] = [], ["duckdb"] = [] };
            double rows = 0;
            foreach (var warm in requests.Take(5))
            {
                engine.PredictExact(warm.ToRequest());
                engine.Predict(warm.ToRequest());
            }

            for (var i = 0; i < requests.Count; i++)
            {
                // Alternate the order of the two engine paths: the second call on a request meets warm caches.
                var request = requests[i];
                var start = Stopwatch.GetTimestamp();
                if (i % 2 == 1)
                {
                    engine.Predict(request.ToRequest());
                    times["biathlon"].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    start = Stopwatch.GetTimestamp();
                }

                var exact = engine.PredictExact(request.ToRequest());
                times["exact"].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                rows += exact.Queries.Sum(q => q.EstimatedRows);
                if (i % 2 == 0)
                {
                    start = Stopwatch.GetTimestamp();
                    engine.Predict(request.ToRequest());
                    times["biathlon"].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                if (duck is not null)
                {
                    start = Stopwatch.GetTimestamp();
                    duck.ComputeFeatures(request.Fields, features);
                    model.EvaluateRowMajor(features, 1, output);
                    times["duckdb"].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }

            foreach (var (method, values) in times.Where(t => t.Value.Count > 0))
            {
                points.Add(new ScalingPoint(name, method, window, rows / requests.Count, values.Average(), values.Count));
            }

            progress?.Report($"scaling {name} {query} window {window}: {rows / requests.Count:N0} rows per request; "
                + string.Join(", ", times.Where(t => t.Value.Count > 0).Select(t => $"{t.Key} {t.Value.Average():0.###} ms")));
        }

        return points;
    }
}
