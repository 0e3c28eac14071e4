using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Training;

namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// The recipe of the flight pipelines (docs: pipelines/flight-delay/README.md): requests drawn from the real
/// flights, split by time (train Feb–Apr, validation May, test June 2001), exact features from the engine itself,
/// a model trained with ML.NET, exported to ONNX by our writer with δ (validation MAE) stored in its metadata.
/// </summary>
public static class FlightPipelines
{
    /// <summary>Training requests: departures in February–April 2001 (windows reach back 30 days, into January).</summary>
    public static readonly (DateTime From, DateTime To) Train = (new DateTime(2001, 2, 1), new DateTime(2001, 5, 1));

    /// <summary>Validation requests (δ = MAE on these): May 2001.</summary>
    public static readonly (DateTime From, DateTime To) Validation = (new DateTime(2001, 5, 1), new DateTime(2001, 6, 1));

    /// <summary>Held-out test requests: June 2001.</summary>
    public static readonly (DateTime From, DateTime To) Test = (new DateTime(2001, 6, 1), new DateTime(2001, 7, 1));

    /// <summary>Sizes and seed of a preparation run.</summary>
    public sealed record PrepareOptions(int TrainRequests = 2000, int ValidationRequests = 400, int Seed = 0, bool Retrain = false, string? CacheDirectory = null);

    /// <summary>What training produced.</summary>
    public sealed record TrainingSummary(string ModelFile, double ValidationMae, double ValidationR2, int TrainRequests, bool Reused);

    /// <summary>
    /// Trains and exports the pipeline's model unless <c>model.onnx</c> already exists (or <paramref name="options"/>
    /// asks to retrain). The pipeline's tables are built and cached on the way.
    /// </summary>
    public static async Task<TrainingSummary> PrepareAsync(string pipelineFolder, string dataDirectory, FlightRequests flights, PrepareOptions options, IProgress<string>? progress = null)
    {
        var modelFile = Path.Combine(pipelineFolder, "model.onnx");
        if (File.Exists(modelFile) && !options.Retrain)
        {
            using var existing = OnnxModel.Load(modelFile, Planner.PredictionTask.Regression);
            var mae = double.Parse(existing.Metadata.GetValueOrDefault("validation_mae", "NaN"), CultureInfo.InvariantCulture);
            var r2 = double.Parse(existing.Metadata.GetValueOrDefault("validation_r2", "NaN"), CultureInfo.InvariantCulture);
            return new TrainingSummary(modelFile, mae, r2, 0, Reused: true);
        }

        using var engine = await BiathlonEngine.LoadAsync(pipelineFolder, new EngineOptions { DataDirectory = dataDirectory, CacheDirectory = options.CacheDirectory, LoadModel = false, Progress = progress });
        var binary = engine.Definition.Task == Planner.PredictionTask.Classification;
        var train = flights.Sample(Train.From, Train.To, options.TrainRequests, options.Seed);
        var validation = flights.Sample(Validation.From, Validation.To, options.ValidationRequests, options.Seed + 1);
        var trainRows = ExactFeatures(engine, train, "training features", progress);
        var validationRows = ExactFeatures(engine, validation, "validation features", progress);
        float Label(FlightRequest f) => binary ? (f.Delay > 15 ? 1 : 0) : (float)f.Delay;
        var labels = train.Select(Label).ToArray();
        var validationLabels = validation.Select(Label).ToArray();

        byte[] onnx;
        double validationError, validationR2;
        var metadata = new Dictionary<string, string>
        {
            ["pipeline"] = engine.Definition.Name,
            ["train_requests"] = train.Count.ToString(CultureInfo.InvariantCulture),
            ["inputs"] = string.Join(",", engine.InputNames),
        };
        if (binary)
        {
            progress?.Report("training FastTree (binary: delay > 15)");
            var trained = MlNetTraining.FastTreeBinary(trainRows, labels);
            var predicted = trained.Predict(validationRows).Select(p => p > 0.5f ? 1f : 0f).ToArray();
            validationError = Metrics.F1(validationLabels, predicted);
            validationR2 = Metrics.Accuracy(validationLabels, predicted);
            metadata["validation_f1"] = validationError.ToString("R", CultureInfo.InvariantCulture);
            metadata["validation_accuracy"] = validationR2.ToString("R", CultureInfo.InvariantCulture);
            onnx = OnnxExporter.BinaryClassifier(trained.Model, trained.Calibration!, engine.InputNames.Count, metadata);
        }
        else
        {
            progress?.Report("training LightGbm (regression)");
            var trained = MlNetTraining.LightGbmRegression(trainRows, labels);
            var predicted = trained.Predict(validationRows);
            validationError = Metrics.MeanAbsoluteError(validationLabels, predicted);
            validationR2 = Metrics.RSquared(validationLabels, predicted);
            metadata["validation_mae"] = validationError.ToString("R", CultureInfo.InvariantCulture);
            metadata["validation_r2"] = validationR2.ToString("R", CultureInfo.InvariantCulture);
            onnx = OnnxExporter.Regressor(trained.Model, engine.InputNames.Count, metadata);
        }

        File.WriteAllBytes(modelFile, onnx);
        progress?.Report($"exported {modelFile}");
        return new TrainingSummary(modelFile, validationError, validationR2, train.Count, Reused: false);
    }

    /// <summary>The engine's exact features for each request, computed in parallel (the engine is thread-safe).</summary>
    public static float[][] ExactFeatures(BiathlonEngine engine, IReadOnlyList<FlightRequest> requests, string what, IProgress<string>? progress)
    {
        var rows = new float[requests.Count][];
        var done = 0;
        Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var row = new float[engine.InputNames.Count];
            engine.ComputeExactFeatures(requests[i].ToRequest(), row);
            rows[i] = row;
            var n = Interlocked.Increment(ref done);
            if (n % 250 == 0 || n == requests.Count)
            {
                progress?.Report($"{what}: {n:N0}/{requests.Count:N0}");
            }
        });
        return rows;
    }
}
