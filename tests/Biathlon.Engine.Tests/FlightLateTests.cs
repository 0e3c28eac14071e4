using Biathlon.Experiments;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;
using Xunit.Abstractions;

namespace Biathlon.Engine.Tests;

/// <summary>
/// The classification variant (pipelines/flight-late, delay &gt; 15, FastTree) end to end on real data: prepared as the
/// main job prepares it, then 200 held-out June requests replayed; approximate labels must equal exact labels for at
/// least τ of them.
/// </summary>
public sealed class FlightLateTests(ITestOutputHelper output)
{
    [Fact]
    public async Task On_200_held_out_requests_at_least_tau_of_approximate_labels_equal_the_exact_labels()
    {
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "flight-late");
        var flights = await FlightRequests.LoadAsync(RealData.Require("flights", "flights-3m.parquet"));
        var training = await FlightPipelines.PrepareAsync(folder, RealData.Directory, flights, new FlightPipelines.PrepareOptions());
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory });
        Assert.Equal(PredictionTask.Classification, engine.Definition.Task);
        Assert.Equal(0, engine.Delta);

        var report = ReplayReport.Run(engine, flights.Sample(FlightPipelines.Test.From, FlightPipelines.Test.To, 200, seed: 2).Select(new FlightRecipe(late: true).ToHarness).ToArray());
        using var writer = new StringWriter();
        report.Print(writer);
        output.WriteLine($"validation F1 {training.ValidationMae:0.000} ({training.TrainRequests} training requests)");
        output.WriteLine(writer.ToString());

        Assert.All(report.Records, r => Assert.True(r.Exact is 0 or 1 && r.Approximate is 0 or 1, "labels are 0 or 1"));
        Assert.True(report.WithinDelta >= engine.Definition.Bound.Tau, $"only {report.WithinDelta:P1} of labels agree");
        Assert.Contains(report.Records, r => r.Exact == 1);
    }
}
