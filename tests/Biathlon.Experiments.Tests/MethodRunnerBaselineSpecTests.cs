using Biathlon.Engine;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Pipelines;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The harness on a pipeline with δ per request (<c>bound.deltaField</c>) and an unknown-key rule that refuses: every
/// method (exact, biathlon, fixed fractions, DuckDB, both ClickHouse methods, the stale cache) serves the same
/// requests, a request the engine refuses is served by none, and "agreement with exact" uses each request's δ.
/// </summary>
public sealed class MethodRunnerBaselineSpecTests(ClickHouseServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ClickHouseServerFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Agreement_uses_each_requests_delta_and_refused_requests_are_served_by_no_method()
    {
        var folder = BaselineSpecPipeline.Write(_dir.File("pipeline"), station7dUnknownKeys: "error", deltaField: true);
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") });
        Assert.True(double.IsNaN(engine.Delta));
        var test = BaselineSpecPipeline.Requests(30, seed: 7);
        var unknown = test.Count - 2; // the unknown station: station_7d refuses it
        Assert.Equal(BaselineSpecPipeline.UnknownStation, test[unknown].Fields["station"]);

        var progress = new List<string>();
        var (summaries, records) = MethodRunner.Run(
            engine, RecipeCatalog.Find("pm10-forecast"), test,
            new MethodRunner.Options(DuckDb: true, StaleCache: true, WarmUp: 2, ClickHouse: true, ClickHouseServer: fixture.Server),
            new Progress<string>(progress.Add));
        foreach (var line in progress)
        {
            output.WriteLine(line);
        }

        foreach (var summary in summaries)
        {
            output.WriteLine($"{summary.Method}: {summary.Requests} requests, agreement {summary.AgreementWithExact:P0}, fraction {summary.MeanFraction:F3}");
        }

        // The refused request: no method serves it, and a progress line names the field and the query.
        var methods = new[] { "exact", "biathlon", "fixed-5%", "fixed-20%", "duckdb", MethodRunner.ClickHouseExact, MethodRunner.ClickHouseApprox, "stale-cache" };
        Assert.Equal(methods.Order(), summaries.Select(s => s.Method).Order());
        Assert.All(summaries, s => Assert.Equal(test.Count - 1, s.Requests));
        Assert.DoesNotContain(records, r => r.Request == unknown);
        Assert.Contains(progress, line => line.Contains("refuses 1/30", StringComparison.Ordinal)
            && line.Contains($"request {unknown}: ", StringComparison.Ordinal) && line.Contains("station_7d", StringComparison.Ordinal));

        // Agreement within each request's δ (its tolerance, or the field's fill 4), recomputed from the records.
        var exact = records.Where(r => r.Method == "exact").ToDictionary(r => r.Request, r => r.Value);
        double Tolerance(int request) => test[request].Fields.TryGetValue("tolerance", out var t) && t is double d ? d : 4;
        foreach (var summary in summaries)
        {
            var rows = records.Where(r => r.Method == summary.Method).ToArray();
            var expected = (double)rows.Count(r => Math.Abs(r.Value - exact[r.Request]) <= Tolerance(r.Request)) / rows.Length;
            Assert.Equal(expected, summary.AgreementWithExact, 12);
        }

        Assert.Equal(1.0, summaries.Single(s => s.Method == "exact").AgreementWithExact);
        Assert.Equal(1.0, summaries.Single(s => s.Method == "duckdb").AgreementWithExact);
        Assert.Equal(1.0, summaries.Single(s => s.Method == MethodRunner.ClickHouseExact).AgreementWithExact);
        Assert.All(records.Where(r => r.Method is "duckdb" or MethodRunner.ClickHouseExact), r => Assert.Equal(exact[r.Request], r.Value, 3));

        // The pipeline's own δ is NaN: without the per-request δ nothing would agree, not even exact with itself.
        Assert.Equal(0.0, MethodRunner.Summarise(engine, "pm10-baseline-spec", records).Single(s => s.Method == "exact").AgreementWithExact);
    }

    public void Dispose() => _dir.Dispose();
}
