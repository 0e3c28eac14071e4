using System.Globalization;
using System.Text.Json.Nodes;
using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;
using Biathlon.Sampling.Errors;

namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// Prepares a pipeline for serving: builds and caches its tables, computes exact features of the training and
/// validation requests with the engine itself, trains the recipe's model and exports it to <c>model.onnx</c> with
/// δ (validation MAE) or the validation F1 in its metadata. An existing model is kept unless retraining is asked for.
/// </summary>
public static class PipelinePreparation
{
    /// <summary>What preparation produced or found.</summary>
    public sealed record Summary(string ModelFile, string ValidationMetric, double ValidationValue, int TrainRequests, bool Reused);

    /// <summary>Prepares the pipeline in <paramref name="pipelineFolder"/>; <paramref name="modelFile"/> is where the model goes (default the folder's model.onnx).</summary>
    public static async Task<Summary> PrepareAsync(
        IPipelineRecipe recipe, string pipelineFolder, string dataDirectory, RecipeRequests requests, bool retrain, int seed,
        string? cacheDirectory = null, IProgress<string>? progress = null, string? modelFile = null)
    {
        modelFile ??= Path.Combine(pipelineFolder, "model.onnx");
        if (File.Exists(modelFile) && !retrain)
        {
            var definition = PipelineSpecLoader.Load(pipelineFolder, dataDirectory);
            using var existing = OnnxModel.Load(modelFile, definition.Task);
            var metric = existing.Metadata.ContainsKey("validation_mae") ? "MAE" : "F1";
            var value = double.Parse(existing.Metadata.GetValueOrDefault(metric == "MAE" ? "validation_mae" : "validation_f1", "NaN"), CultureInfo.InvariantCulture);
            var trained = int.Parse(existing.Metadata.GetValueOrDefault("train_requests", "0"), CultureInfo.InvariantCulture);
            return new Summary(modelFile, metric, value, trained, Reused: true);
        }

        cacheDirectory ??= Path.Combine(pipelineFolder, ".cache");
        var trainingSpec = TrainingSpec(recipe, pipelineFolder, dataDirectory);
        float[][] trainRows, validationRows;
        IReadOnlyList<string> inputNames;
        using (var engine = await BiathlonEngine.LoadAsync(trainingSpec, new EngineOptions { DataDirectory = dataDirectory, CacheDirectory = cacheDirectory, LoadModel = false, Progress = progress }))
        {
            inputNames = engine.InputNames;
            trainRows = ExactFeatures(engine, requests.Train, "training features", progress);
            validationRows = ExactFeatures(engine, requests.Validation, "validation features", progress);
        }

        var metadata = new Dictionary<string, string>
        {
            ["pipeline"] = recipe.Name,
            ["train_requests"] = requests.Train.Count.ToString(CultureInfo.InvariantCulture),
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["inputs"] = string.Join(",", inputNames),
        };
        progress?.Report($"training: {recipe.ModelDescription}");
        var model = recipe.Train(
            trainRows, requests.Train.Select(r => (float)r.Label).ToArray(),
            validationRows, requests.Validation.Select(r => (float)r.Label).ToArray(), metadata, seed);
        File.WriteAllBytes(modelFile, model.Onnx);
        progress?.Report($"exported {modelFile} (validation {model.ValidationMetric} {model.ValidationValue:0.####})");
        return new Summary(modelFile, model.ValidationMetric, model.ValidationValue, requests.Train.Count, Reused: false);
    }

    /// <summary>The engine's exact features for each request, computed in parallel (the engine is thread-safe).</summary>
    public static float[][] ExactFeatures(BiathlonEngine engine, IReadOnlyList<HarnessRequest> requests, string what, IProgress<string>? progress)
    {
        var rows = new float[requests.Count][];
        var done = 0;
        var diagnostics = new PipelineDiagnostics(engine);
        Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var row = new float[engine.InputNames.Count];
            try
            {
                diagnostics.ComputeExactFeatures(requests[i].Fields, row);
            }
            catch (BiathlonException e)
            {
                // Name the request: with a requests file, the user finds the row by its fields.
                var fields = string.Join(", ", requests[i].Fields.Select(f => $"{f.Key}={(f.Value is DateTime t ? t.ToString("s", CultureInfo.InvariantCulture) : Convert.ToString(f.Value, CultureInfo.InvariantCulture))}"));
                throw new CliException($"{what}: request ({fields}): {e.Message}", 1);
            }

            rows[i] = row;
            var n = Interlocked.Increment(ref done);
            if (n % 250 == 0 || n == requests.Count)
            {
                progress?.Report($"{what}: {n:N0}/{requests.Count:N0}");
            }
        });
        return rows;
    }

    /// <summary>The spec to compute training features with: the pipeline's own, or a copy reading the recipe's training sources.</summary>
    private static string TrainingSpec(IPipelineRecipe recipe, string pipelineFolder, string dataDirectory)
    {
        if (recipe.TrainingSources.Count == 0)
        {
            return pipelineFolder;
        }

        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(pipelineFolder, PipelineSpecLoader.SpecFileName)))!.AsObject();
        foreach (var table in spec["tables"]!.AsArray())
        {
            if (recipe.TrainingSources.TryGetValue(table!["name"]!.GetValue<string>(), out var source))
            {
                table["source"] = Path.Combine(dataDirectory, source);
            }
        }

        var folder = Path.Combine(pipelineFolder, ".cache", "training-spec");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, PipelineSpecLoader.SpecFileName);
        File.WriteAllText(file, spec.ToJsonString());
        return file;
    }
}
