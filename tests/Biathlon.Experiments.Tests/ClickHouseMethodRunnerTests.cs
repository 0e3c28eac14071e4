using Biathlon.Engine;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Pipelines;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The harness runs the ClickHouse methods only when asked, on real PM10 requests: clickhouse-exact answers what the
/// engine's exact path answers, and clickhouse-approx records its rounds, sampled fraction and stop reason.
/// </summary>
public sealed class ClickHouseMethodRunnerTests(ClickHouseServerFixture fixture, ITestOutputHelper output) : IClassFixture<ClickHouseServerFixture>
{
    [Fact]
    public async Task Pm10_requests_are_served_by_both_clickhouse_methods_when_the_flag_is_on()
    {
        var recipe = RecipeCatalog.Find("pm10-forecast");
        using var root = new TempDirectory();
        var (folder, _) = await PreparedCopy.PrepareAsync(root.Path, "pm10-forecast", RecipeSizes.Quick); // a clean clone has no trained model
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory });
        var test = (await recipe.LoadRequestsAsync(RealData.Directory, new RecipeSizes(10, 10, 16), seed: 0)).Test;
        Assert.Equal(16, test.Count);

        // Off by default: no ClickHouse method.
        var (_, plain) = MethodRunner.Run(engine, recipe, test.Take(2).ToArray(), new MethodRunner.Options(DuckDb: false, StaleCache: false, WarmUp: 0), null);
        Assert.DoesNotContain(plain, r => r.Method.StartsWith("clickhouse", StringComparison.Ordinal));

        var progress = new List<string>();
        var (summaries, records) = MethodRunner.Run(
            engine, recipe, test,
            new MethodRunner.Options(DuckDb: false, StaleCache: false, WarmUp: 1, ClickHouse: true, ClickHouseServer: fixture.Server),
            new Progress<string>(progress.Add));
        foreach (var summary in summaries)
        {
            output.WriteLine($"{summary.Method}: agreement {summary.AgreementWithExact:P0}, fraction {summary.MeanFraction:F3}, rounds {summary.MeanRounds:F2}");
        }

        var exact = records.Where(r => r.Method == "exact").ToDictionary(r => r.Request);
        var sql = records.Where(r => r.Method == MethodRunner.ClickHouseExact).ToList();
        var approx = records.Where(r => r.Method == MethodRunner.ClickHouseApprox).ToList();
        Assert.Equal(test.Count, sql.Count);
        Assert.Equal(test.Count, approx.Count);
        Assert.All(sql, r => Assert.Equal(exact[r.Request].Value, r.Value, 3));
        Assert.All(approx, r =>
        {
            Assert.True(r.Rounds >= 1);
            Assert.InRange(r.MeanFraction, 0.01, 1);
            Assert.Contains(r.Stop, new[] { "BoundMet", "AllExact", "MaxRounds" });
        });
        Assert.Contains(approx, r => r.Stop == "BoundMet" && r.MeanFraction < 1);
        var agreement = summaries.Single(s => s.Method == MethodRunner.ClickHouseApprox).AgreementWithExact;
        Assert.True(agreement >= 0.75, $"clickhouse-approx agrees with exact on {agreement:P0} of the requests");
    }
}
