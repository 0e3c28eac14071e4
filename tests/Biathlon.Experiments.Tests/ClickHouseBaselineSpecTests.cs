using Biathlon.Engine;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Baselines;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The ClickHouse baselines speak the whole request-value spec: on real PM10 rows, with one-hot and code inputs,
/// fills, unbounded windows and unknown keys served as no rows, clickhouse-exact's features are the engine's exact
/// features; clickhouse-approx serves a <c>bound.deltaField</c> pipeline with each request's own δ.
/// </summary>
public sealed class ClickHouseBaselineSpecTests(ClickHouseServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ClickHouseServerFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Exact_features_of_30_real_requests_equal_the_engines_exact_features()
    {
        using var engine = await BiathlonEngine.LoadAsync(
            BaselineSpecPipeline.Write(_dir.File("pipeline")), new EngineOptions { CacheDirectory = _dir.File("cache") });
        var exact = new ClickHouseExactFeatures(await ClickHousePipeline.LoadAsync(fixture.Server, engine.Definition));
        var requests = BaselineSpecPipeline.Requests(30, seed: 7);
        var statements = exact.Statements(requests[0].Fields);
        foreach (var sql in statements)
        {
            output.WriteLine(sql);
        }

        // Unbounded ends have no condition: history has only its end, later only its start, all_time none.
        Assert.DoesNotContain(" >= ", statements[0], StringComparison.Ordinal);
        Assert.Contains(" < ", statements[0], StringComparison.Ordinal);
        Assert.DoesNotContain(" < ", statements[2], StringComparison.Ordinal);
        Assert.EndsWith("WHERE 1", statements[3], StringComparison.Ordinal);

        BaselineSpecFeatures.AssertSame(engine, requests.Select(r => r.Fields), (r, f) => exact.ComputeFeatures(r, f), "ClickHouse");

        // Out of range: refused naming the field, as by the engine, rather than a wrapped or saturated bound.
        var early = new Dictionary<string, object?> { ["station"] = "DEMV017", ["day"] = DateTime.MinValue.AddDays(3) };
        Assert.Equal("day", Assert.Throws<RequestException>(() => exact.ComputeFeatures(early, new float[BaselineSpecPipeline.InputWidth])).Field);
    }

    [Fact]
    public async Task Approximate_serves_a_delta_field_pipeline_with_each_requests_delta()
    {
        var folder = BaselineSpecPipeline.Write(_dir.File("pipeline"), deltaField: true);
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") });
        Assert.True(double.IsNaN(engine.Delta));
        using var model = OnnxModel.Load(engine.Definition.ModelFile, engine.Definition.Task);
        var approx = new ClickHouseApproximate(await ClickHousePipeline.LoadAsync(fixture.Server, engine.Definition), model, engine.Delta);

        var request = new Dictionary<string, object?>(BaselineSpecPipeline.Requests(30, seed: 7)[4].Fields);
        var rounds = new List<int>();
        foreach (var tolerance in new[] { 0.05, 0.5, 5.0, 50.0 })
        {
            request["tolerance"] = tolerance;
            var result = approx.Predict(request, seed: 3);
            output.WriteLine($"δ {tolerance}: {result.Stop} after {result.Rounds} rounds, fraction {result.MeanFraction:F3}, value {result.Value:F3}");
            rounds.Add(result.Rounds);
        }

        // The same seed reads the same partitions in the same order: a larger δ is met no later.
        Assert.Equal(rounds.OrderDescending(), rounds);
        Assert.True(rounds[0] > rounds[^1], $"rounds per δ: {string.Join(", ", rounds)}");

        request["tolerance"] = 0.0;
        Assert.Equal("tolerance", Assert.Throws<RequestException>(() => approx.Predict(request, seed: 3)).Field);
    }

    public void Dispose() => _dir.Dispose();
}
