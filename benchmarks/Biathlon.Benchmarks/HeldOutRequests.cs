using Biathlon.Experiments.Pipelines;

namespace Biathlon.Benchmarks;

// The harness's held-out test requests of a pipeline, drawn exactly as `biathlon-experiments run` draws them (the
// recipe's split, full sizes, seed 0: 300 requests from real rows, e.g. June 2001 departures for the flight pipelines),
// and the pipeline made ready to serve: a missing model.onnx is trained and exported as the harness's `prepare` does
// (an existing one is reused). Deterministic: the same requests in every benchmark process.
internal static class HeldOutRequests
{
    public const int Seed = 0;

    private static readonly Dictionary<string, IReadOnlyList<HarnessRequest>> s_prepared = [];

    // The data folder: $BIATHLON_DATA, or data/real under the repository root (fetched by the pinned script when missing).
    public static string DataDirectory => Environment.GetEnvironmentVariable("BIATHLON_DATA") is { Length: > 0 } data
        ? data
        : Path.Combine(FlightsData.Root, "data", "real");

    public static string PipelineFolder(string pipeline) => Path.Combine(FlightsData.Root, "pipelines", pipeline);

    // The pipeline's 300 test requests, after making sure its dataset and model exist (once per process).
    public static IReadOnlyList<HarnessRequest> Prepare(string pipeline)
    {
        lock (s_prepared)
        {
            if (!s_prepared.TryGetValue(pipeline, out var test))
            {
                test = Load(pipeline);
                s_prepared[pipeline] = test;
            }

            return test;
        }
    }

    private static IReadOnlyList<HarnessRequest> Load(string pipeline)
    {
        var recipe = RecipeCatalog.Find(pipeline);
        if (!File.Exists(Path.Combine(DataDirectory, recipe.DatasetFile)))
        {
            FlightsData.Fetch(recipe.DatasetSet);
        }

        var requests = recipe.LoadRequestsAsync(DataDirectory, RecipeSizes.Full, Seed).GetAwaiter().GetResult();
        PipelinePreparation.PrepareAsync(recipe, PipelineFolder(pipeline), DataDirectory, requests, retrain: false, Seed)
            .GetAwaiter().GetResult();
        return requests.Test;
    }

    // `count` of them, evenly spread over the test split (which is in time order), so a short list still spans it.
    public static HarnessRequest[] Spread(IReadOnlyList<HarnessRequest> requests, int count)
    {
        var picked = new HarnessRequest[Math.Min(count, requests.Count)];
        for (var i = 0; i < picked.Length; i++)
        {
            picked[i] = requests[(int)((long)i * requests.Count / picked.Length)];
        }

        return picked;
    }
}
