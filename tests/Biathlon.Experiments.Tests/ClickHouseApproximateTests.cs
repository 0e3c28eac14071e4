using System.Globalization;
using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Planning;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The approximate ClickHouse baseline on real Flight-Delay requests: the tables carry the engine's partition ids,
/// reading every partition reproduces the exact prediction, and at the pipeline's δ and τ it stops early on a
/// fraction of the rows with predictions within δ of the exact ones about as often as τ promises.
/// </summary>
public sealed class ClickHouseApproximateTests(ClickHouseServerFixture fixture, ITestOutputHelper output) : IClassFixture<ClickHouseServerFixture>
{
    [Fact]
    public async Task Flight_delay_approximation_reads_partition_ranges_and_stops_at_the_bound()
    {
        var parquet = RealData.Require("flights", "flights-3m.parquet");
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "flight-delay");
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory });
        var pipeline = await ClickHousePipeline.LoadAsync(fixture.Server, engine.Definition);
        using var model = OnnxModel.Load(engine.Definition.ModelFile, engine.Definition.Task);

        // The partition ids are the engine's: per partition, ClickHouse holds the engine's rows of that partition plus
        // the rows the engine moved from it into its census stratum (stored as partition P), and nothing else.
        var table = new PipelineDiagnostics(engine).GetTable("flights");
        var layout = table.Layouts[0];
        var counts = (await fixture.Server.QueryAsync("SELECT __pid, count() FROM flights GROUP BY __pid ORDER BY __pid"))
            .TrimEnd('\n').Split('\n').Select(l => l.Split('\t')).ToDictionary(f => int.Parse(f[0], CultureInfo.InvariantCulture), f => long.Parse(f[1], CultureInfo.InvariantCulture));
        Assert.Equal(table.Partitions, counts.Count);
        long moved = 0;
        for (var p = 0; p < table.Partitions; p++)
        {
            var extra = counts[p] - layout.PartitionRowCount(p);
            Assert.True(extra >= 0, $"partition {p}: ClickHouse {counts[p]} rows, engine {layout.PartitionRowCount(p)}");
            moved += extra;
        }

        var census = table.Census is null ? 0 : layout.PartitionRowCount(table.Partitions);
        Assert.Equal(census, moved);
        Assert.Equal(table.RowCount, counts.Values.Sum());

        var requests = (await FlightRequests.LoadAsync(parquet)).Sample(new DateTime(2001, 6, 1), new DateTime(2001, 7, 1), 24, seed: 3)
            .Select(f => (IReadOnlyDictionary<string, object?>)f.ToRequest())
            .ToArray();

        // Every partition in the first round (a range that wraps around the ring of ids, as most starts do): the
        // partial sums make the exact features, and the loop ends on the exact prediction.
        var everything = new ClickHouseApproximate(pipeline, model, engine.Delta, engine.Definition.Planner with { InitialFraction = 1 });
        foreach (var request in requests.Take(3))
        {
            var result = everything.Predict(request, seed: 7);
            output.WriteLine($"everything: {result}");
            Assert.Equal(StopReason.AllExact, result.Stop);
            Assert.Equal(1, result.Rounds);
            Assert.Equal(1, result.MeanFraction);
            Assert.Equal(engine.PredictExact(request).Value, result.Value, 3);
        }

        // The pipeline's own δ and τ.
        var approximate = new ClickHouseApproximate(pipeline, model, engine.Delta);
        var within = 0;
        var early = 0;
        var rounds = 0;
        for (var i = 0; i < requests.Length; i++)
        {
            var result = approximate.Predict(requests[i], seed: (ulong)i);
            var exact = engine.PredictExact(requests[i]).Value;
            output.WriteLine($"request {i}: exact {exact:F3}, {result}");
            within += Math.Abs(result.Value - exact) <= engine.Delta ? 1 : 0;
            early += result.Stop == StopReason.BoundMet && result.MeanFraction < 0.5 ? 1 : 0;
            rounds += result.Rounds;

            // The same seed replays the same partitions and designs (sums may differ in the last bits if the server
            // merged parts in between, so the value is compared to a tolerance).
            var again = approximate.Predict(requests[i], seed: (ulong)i);
            Assert.Equal((result.Stop, result.Rounds, result.MeanFraction, result.Statements), (again.Stop, again.Rounds, again.MeanFraction, again.Statements));
            Assert.Equal(result.Value, again.Value, 6);
        }

        output.WriteLine($"within δ = {engine.Delta:F3}: {within}/{requests.Length}; stopped early: {early}");
        Assert.True(within >= requests.Length - 3, $"{within} of {requests.Length} within δ (τ = {engine.Definition.Bound.Tau})");
        Assert.True(rounds > requests.Length, $"{rounds} rounds over {requests.Length} requests: none needed a second round");
        Assert.True(early >= requests.Length / 2, $"only {early} of {requests.Length} requests met the bound below half the rows");
    }
}
