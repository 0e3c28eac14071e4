using Biathlon.Engine.Specs;

namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// The flight pipelines' time splits (train Feb–Apr, validation May, test June 2001) and a preparation entry that
/// keeps the first engine tests and the main job independent of the harness's other recipes.
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
    /// asks to retrain): the flight recipe (regression or, for a binary spec, delay &gt; 15) through the generic preparation.
    /// </summary>
    public static async Task<TrainingSummary> PrepareAsync(string pipelineFolder, string dataDirectory, FlightRequests flights, PrepareOptions options, IProgress<string>? progress = null)
    {
        var binary = PipelineSpecLoader.Load(pipelineFolder, dataDirectory).IsBinary;
        var recipe = new FlightRecipe(late: binary);
        var requests = recipe.Requests(flights, new RecipeSizes(options.TrainRequests, options.ValidationRequests, 0), options.Seed);
        var summary = await PipelinePreparation.PrepareAsync(recipe, pipelineFolder, dataDirectory, requests, options.Retrain, options.Seed, options.CacheDirectory, progress);
        return new TrainingSummary(summary.ModelFile, summary.ValidationValue, double.NaN, summary.TrainRequests, summary.Reused);
    }
}
