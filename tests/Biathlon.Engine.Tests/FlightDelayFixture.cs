using Biathlon.Experiments.Pipelines;

namespace Biathlon.Engine.Tests;

/// <summary>
/// The real Flight-Delay pipeline (pipelines/flight-delay), prepared exactly as the main job prepares it: tables
/// cached beside the spec, a LightGbm model trained on 2,000 exact-feature requests (Feb–Apr 2001) and exported to
/// ONNX with δ = validation MAE (400 May requests). An existing model.onnx is reused. Test requests: 200 June flights.
/// </summary>
public sealed class FlightDelayFixture : IDisposable
{
    public FlightDelayFixture()
    {
        Folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "flight-delay");
        var flights = FlightRequests.LoadAsync(RealData.Require("flights", "flights-3m.parquet")).GetAwaiter().GetResult();
        Training = FlightPipelines.PrepareAsync(Folder, RealData.Directory, flights, new FlightPipelines.PrepareOptions()).GetAwaiter().GetResult();
        Engine = BiathlonEngine.LoadAsync(Folder, new EngineOptions { DataDirectory = RealData.Directory }).GetAwaiter().GetResult();
        Test = flights.Sample(FlightPipelines.Test.From, FlightPipelines.Test.To, 200, seed: 2).Select(new FlightRecipe(late: false).ToHarness).ToArray();
    }

    public string Folder { get; }

    public FlightPipelines.TrainingSummary Training { get; }

    public BiathlonEngine Engine { get; }

    public IReadOnlyList<HarnessRequest> Test { get; }

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition(Name)]
public sealed class FlightDelayCollection : ICollectionFixture<FlightDelayFixture>
{
    public const string Name = "flight-delay";
}
