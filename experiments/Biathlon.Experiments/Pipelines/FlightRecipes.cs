using Biathlon.Experiments.Specs;

namespace Biathlon.Experiments.Pipelines;

/// <summary>Flight-Delay and Flight-Late: requests are real departures, split by time (train Feb–Apr, validation May, test June 2001).</summary>
public sealed class FlightRecipe(bool late) : IPipelineRecipe
{
    public string Name => late ? "flight-late" : "flight-delay";

    public string DatasetSet => "flights";

    public string DatasetFile => "flights-3m.parquet";

    public string ModelDescription => late ? "ML.NET FastTree binary (100 trees, 20 leaves), Platt-calibrated" : "ML.NET LightGbm regression (100 trees, 31 leaves)";

    public string DataCredit => "flights-3m: U.S. Bureau of Transportation Statistics on-time data, Jan–Jun 2001 (npm vega-datasets 3.2.1)";

    // Test departures are about 0.4 per hour of June: one refresh per hour of stream time is ~2.4 per request.
    public double StaleCacheRefreshesPerHour => 1;

    public IReadOnlyDictionary<string, string> TrainingSources { get; } = new Dictionary<string, string>();

    public async Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed)
    {
        var flights = await FlightRequests.LoadAsync(Path.Combine(dataDirectory, DatasetFile));
        return Requests(flights, sizes, seed);
    }

    /// <summary>The splits from already-loaded flights.</summary>
    public RecipeRequests Requests(FlightRequests flights, RecipeSizes sizes, int seed) => new(
        flights.Sample(FlightPipelines.Train.From, FlightPipelines.Train.To, sizes.Train, seed).Select(ToHarness).ToArray(),
        flights.Sample(FlightPipelines.Validation.From, FlightPipelines.Validation.To, sizes.Validation, seed + 1).Select(ToHarness).ToArray(),
        flights.Sample(FlightPipelines.Test.From, FlightPipelines.Test.To, sizes.Test, seed + 2).Select(ToHarness).ToArray());

    public TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed) =>
        ModelTrainer.Train(late ? ModelKind.FastTree : ModelKind.LightGbm, late, train, trainLabels, validation, validationLabels, metadata, seed);

    public HarnessRequest ToHarness(FlightRequest flight) =>
        new(flight.ToRequest(), late ? (flight.Delay > 15 ? 1 : 0) : flight.Delay, flight.Departure);
}
