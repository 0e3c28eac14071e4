namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// What the harness needs to know about a pipeline beyond its spec: which dataset it reads, how requests and labels
/// are drawn from the real rows (split by time where the data is temporal), and how its model is trained.
/// </summary>
public interface IPipelineRecipe
{
    /// <summary>Folder name under pipelines/.</summary>
    string Name { get; }

    /// <summary>The fetch script's dataset set (flights, sensors or r).</summary>
    string DatasetSet { get; }

    /// <summary>The data file (under the data folder) whose presence shows the dataset was fetched.</summary>
    string DatasetFile { get; }

    /// <summary>The model, in words.</summary>
    string ModelDescription { get; }

    /// <summary>Where the rows come from and whom to credit, one line.</summary>
    string DataCredit { get; }

    /// <summary>Refreshes per hour of stream time given to the stale-cache baseline.</summary>
    double StaleCacheRefreshesPerHour { get; }

    /// <summary>Table → data file to compute training features from, when training reads other rows than serving (else empty).</summary>
    IReadOnlyDictionary<string, string> TrainingSources { get; }

    /// <summary>Draws the requests of each split.</summary>
    Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed);

    /// <summary>Trains the model on exact features and exports it to ONNX with <paramref name="metadata"/>; returns the bytes and the validation metric.</summary>
    TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed);
}

/// <summary>An exported model and how it did on the validation requests.</summary>
/// <param name="Onnx">The ONNX file's bytes.</param>
/// <param name="ValidationMetric">"MAE" (regression: also δ) or "F1" (classification).</param>
/// <param name="ValidationValue">The metric's value.</param>
public sealed record TrainedModel(byte[] Onnx, string ValidationMetric, double ValidationValue);
