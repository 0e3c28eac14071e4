using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Experiments.Baselines;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The DuckDB baseline speaks the whole request-value spec: on real PM10 rows, with one-hot and code inputs, fills,
/// unbounded windows and unknown keys served as no rows, its features are the engine's exact features; a window
/// bound out of range is refused as the engine refuses it, never wrapped.
/// </summary>
public sealed class DuckDbBaselineSpecTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Features_of_30_real_requests_equal_the_engines_exact_features()
    {
        using var engine = await LoadAsync();
        using var duck = DuckDbFeatures.Open(engine.Definition);
        foreach (var sql in duck.Statements)
        {
            output.WriteLine(sql);
        }

        // Unbounded ends have no condition: history has only its end, later only its start, all_time no WHERE at all.
        Assert.EndsWith("WHERE \"station\" = $1 AND \"date\" < $2", duck.Statements[0], StringComparison.Ordinal);
        Assert.EndsWith("WHERE \"date\" >= $1", duck.Statements[2], StringComparison.Ordinal);
        Assert.DoesNotContain("WHERE", duck.Statements[3], StringComparison.Ordinal);

        var requests = BaselineSpecPipeline.Requests(30, seed: 7);
        Assert.Equal(BaselineSpecPipeline.InputWidth, engine.Definition.Inputs.Count);
        BaselineSpecFeatures.AssertSame(engine, requests.Select(r => r.Fields), (r, f) => duck.ComputeFeatures(r, f), "DuckDB");

        // The requests exercise what they should: declared and other stations, the unknown station, fills.
        var features = new float[BaselineSpecPipeline.InputWidth];
        var hubs = new HashSet<int>();
        foreach (var request in requests)
        {
            duck.ComputeFeatures(request.Fields, features);
            hubs.Add(Array.IndexOf(features, 1f, 0, 4));
        }

        Assert.Equal([0, 1, 2, 3], hubs.Order());
        duck.ComputeFeatures(requests[^2].Fields, features); // the unknown station: no rows (unknownKeys "empty")
        Assert.Equal([20f, 0f, 0f, 20f, 0f], features[7..12]);
        duck.ComputeFeatures(requests[1].Fields, features); // level left out: its fill
        Assert.Equal(25f, features[6]);
    }

    [Fact]
    public async Task A_window_bound_out_of_range_is_refused_naming_the_field_not_wrapped()
    {
        using var engine = await LoadAsync();
        using var duck = DuckDbFeatures.Open(engine.Definition);
        var request = new Dictionary<string, object?> { ["station"] = "DEMV017", ["day"] = DateTime.MinValue.AddDays(3) };
        var features = new float[BaselineSpecPipeline.InputWidth];

        var byEngine = Assert.Throws<RequestException>(() => new PipelineDiagnostics(engine).ComputeExactFeatures(request, features));
        var byDuckDb = Assert.Throws<RequestException>(() => duck.ComputeFeatures(request, features));
        Assert.Equal("day", byEngine.Field);
        Assert.Equal("day", byDuckDb.Field);
        Assert.Contains("station_7d", byDuckDb.Message, StringComparison.Ordinal);

        // Only the unbounded end is open: a day early in year 1 still reads every row before it.
        request["day"] = new DateTime(1, 1, 9);
        BaselineSpecFeatures.AssertSame(engine, [request], (r, f) => duck.ComputeFeatures(r, f), "DuckDB");
    }

    public void Dispose() => _dir.Dispose();

    private Task<BiathlonEngine> LoadAsync() =>
        BiathlonEngine.LoadAsync(BaselineSpecPipeline.Write(_dir.File("pipeline")), new EngineOptions { CacheDirectory = _dir.File("cache") });
}
