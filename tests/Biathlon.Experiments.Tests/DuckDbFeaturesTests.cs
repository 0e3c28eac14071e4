using System.Diagnostics;
using System.Text.Json.Nodes;
using Biathlon.Engine;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models;
using Biathlon.Engine.Models.Export;
using Biathlon.Experiments.Baselines;
using Biathlon.Experiments.Pipelines;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Schema;
using Xunit.Abstractions;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The DuckDB baseline computes the same model inputs as the engine's exact path: on the real Flight-Delay pipeline
/// and on a small hand-written CSV pipeline covering filters, count(col) with nulls, empty windows (fill values),
/// min/max, countDistinct, percentiles and request transforms.
/// </summary>
public sealed class DuckDbFeaturesTests(ITestOutputHelper output) : IDisposable
{
    private const double RelativeTolerance = 1e-6;

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Flight_delay_features_equal_the_engines_exact_features()
    {
        var parquet = RealData.Require("flights", "flights-3m.parquet");
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines", "flight-delay");
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { DataDirectory = RealData.Directory, LoadModel = false });
        var flights = await FlightRequests.LoadAsync(parquet);
        var requests = flights.Sample(new DateTime(2001, 6, 1), new DateTime(2001, 7, 1), 40, seed: 11)
            .Select(f => (IReadOnlyDictionary<string, object?>)f.ToRequest())
            .ToArray();
        Assert.Equal(40, requests.Length);

        var open = Stopwatch.StartNew();
        using var duck = DuckDbFeatures.Open(engine.Definition);
        output.WriteLine($"DuckDB load + prepare: {open.Elapsed.TotalSeconds:F2} s");
        foreach (var sql in duck.Statements)
        {
            output.WriteLine(sql);
        }

        Assert.Contains(duck.Statements, s => s.Contains("quantile_cont(\"delay\", 9.0000000000000002E-001)", StringComparison.Ordinal));
        Assert.Contains(duck.Statements, s => s.Contains("WHERE \"origin\" = $1 AND \"destination\" = $2 AND \"date\" >= $3 AND \"date\" < $4", StringComparison.Ordinal));

        AssertSameFeatures(engine, duck, requests);

        // A rough per-request cost, for the report (not asserted): warm, then 40 requests.
        var features = new float[engine.Definition.Inputs.Count];
        duck.ComputeFeatures(requests[0], features);
        var clock = Stopwatch.StartNew();
        foreach (var request in requests)
        {
            duck.ComputeFeatures(request, features);
        }

        var duckMs = clock.Elapsed.TotalMilliseconds / requests.Length;
        clock.Restart();
        foreach (var request in requests)
        {
            new PipelineDiagnostics(engine).ComputeExactFeatures(request, features);
        }

        var engineMs = clock.Elapsed.TotalMilliseconds / requests.Length;
        output.WriteLine($"ComputeFeatures per request: DuckDB {duckMs:F2} ms, engine exact {engineMs:F2} ms ({Environment.ProcessorCount} cores)");
    }

    [Fact]
    public async Task Csv_pipeline_features_and_predictions_equal_the_engines()
    {
        var folder = WriteCsvPipeline();
        using var engine = await BiathlonEngine.LoadAsync(folder, new EngineOptions { CacheDirectory = _dir.File("cache") });
        using var duck = DuckDbFeatures.Open(engine.Definition);
        using var model = OnnxModel.Load(engine.Definition.ModelFile, PredictionTask.Regression);

        var requests = new[]
        {
            Request("a", new DateTime(2024, 3, 1, 14, 30, 0), 2.0),
            Request("a", new DateTime(2024, 3, 1, 16, 0, 0), 1.0),
            Request("a", new DateTime(2024, 3, 2, 10, 15, 0), -1.5),
            Request("a", new DateTime(2024, 3, 1, 10, 0, 0), 4.0),
            Request("b", new DateTime(2024, 3, 1, 12, 0, 0), 0.0),
            Request("b", new DateTime(2024, 3, 5), 3.0),
        };
        AssertSameFeatures(engine, duck, requests);

        // By hand, a at 14:30: window [10:30, 14:30) with kind = 'x' holds v = 3 (w 2.5, n 30) and v = 4 (w, n null).
        var names = engine.InputNames.ToList();
        var features = new float[names.Count];
        duck.ComputeFeatures(requests[0], features);
        float At(string name) => features[names.IndexOf(name)];
        Assert.Equal(14, At("hour"));
        Assert.Equal(14 * 60 + 30, At("minute"));
        Assert.Equal((int)DayOfWeek.Friday, At("weekday"));
        Assert.Equal(61, At("yday"));
        Assert.Equal(2, At("rx_rows"));
        Assert.Equal(1, At("rx_n_count"));
        Assert.Equal(3.5f, At("rx_avg_v"));
        Assert.Equal(3, At("rx_min_v"));
        Assert.Equal(2.5f, At("rx_max_w"));
        Assert.Equal(1, At("rx_distinct_n"));
        Assert.Equal(3.75f, At("rx_p75_v")); // 3 + 0.75 · (4 − 3)
        Assert.Equal(2.5f, At("rx_median_w"));
        Assert.Equal(42, At("old_avg_v")); // an empty window: AVG takes its fill
        Assert.Equal(0, At("old_rows")); // COUNT of no rows is 0, not the fill
        Assert.Equal(-3, At("old_p90_w"));
        Assert.Equal(11, At("old_min_n"));
        Assert.Equal((float)TimeValue.FromDateTime(new DateTime(2024, 3, 2, 9, 0, 0)), At("last_at"));
        Assert.Equal(2, At("stations"));

        // b at 12:00: one row passes the day filters, so VAR_SAMP and STDDEV_SAMP are undefined and take their fills.
        duck.ComputeFeatures(requests[4], features);
        Assert.Equal(7, At("day_var_v"));
        Assert.Equal(8, At("day_std_w"));

        // An empty window: SQL's SUM is NULL, the engine's SUM is 0 (defined, so not the fill 9); the baseline follows the engine.
        duck.ComputeFeatures(requests[5], features);
        Assert.Equal(0, At("day_sum_n"));
        Assert.Equal(0, At("day_kinds"));
        Assert.Equal(-5, At("day_p10_n"));

        foreach (var request in requests)
        {
            var expected = engine.PredictExact(request).Value;
            Assert.Equal(expected, duck.Predict(request, model), 4);
        }
    }

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, object?> Request(string station, DateTime when, double x) =>
        new() { ["station"] = station, ["when"] = when, ["x"] = x };

    /// <summary>Every input of every request: quantiles exactly, everything else within the relative tolerance.</summary>
    private static void AssertSameFeatures(BiathlonEngine engine, DuckDbFeatures duck, IReadOnlyList<IReadOnlyDictionary<string, object?>> requests)
    {
        var definition = engine.Definition;
        var expected = new float[definition.Inputs.Count];
        var actual = new float[definition.Inputs.Count];
        var mismatches = new List<string>();
        foreach (var request in requests)
        {
            new PipelineDiagnostics(engine).ComputeExactFeatures(request, expected);
            duck.ComputeFeatures(request, actual);
            for (var i = 0; i < expected.Length; i++)
            {
                var input = definition.Inputs[i];
                var quantile = input.Query >= 0
                    && definition.Queries[input.Query].Aggregates[input.Aggregate].Spec.Op is AggregateOp.Median or AggregateOp.Percentile;
                var same = quantile
                    ? expected[i] == actual[i]
                    : Math.Abs(expected[i] - actual[i]) <= RelativeTolerance * Math.Abs(expected[i]);
                if (!same)
                {
                    mismatches.Add($"{input.Name} for {string.Join(", ", request.Select(kv => $"{kv.Key}={kv.Value}"))}: engine {expected[i]:R}, DuckDB {actual[i]:R}");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private string WriteCsvPipeline()
    {
        // Station "a": hourly readings on 2024-03-01 and one the next morning; "b": two readings. n has nulls (NA,
        // empty), w a null written NaN; kind is filtered on.
        File.WriteAllText(_dir.File("readings.csv"), """
            station,at,v,w,n,kind
            a,2024-03-01T10:00:00,1,0.5,10,x
            a,2024-03-01T11:00:00,2,1.25,NA,y
            a,2024-03-01T12:00:00,3,2.5,30,x
            a,2024-03-01T13:00:00,4,NaN,,x
            a,2024-03-01T14:00:00,5,3.75,30,y
            a,2024-03-01T15:00:00,6,5,60,x
            a,2024-03-02T09:00:00,7,6.5,70,x
            b,2024-03-01T10:30:00,100,10,1,x
            b,2024-03-01T11:30:00,200,20,2,y
            """.Replace("            ", "", StringComparison.Ordinal));
        var spec = JsonNode.Parse("""
            {
              "name": "readings",
              "task": "regression",
              "tables": [ { "name": "readings", "source": "readings.csv", "timeColumn": "at", "partitions": 4 } ],
              "request": [ { "name": "station", "type": "string" }, { "name": "when", "type": "timestamp" }, { "name": "x", "type": "number" } ],
              "requestFeatures": [
                { "name": "x", "field": "x" },
                { "name": "hour", "field": "when", "transform": "hourOfDay" },
                { "name": "weekday", "field": "when", "transform": "dayOfWeek" },
                { "name": "minute", "field": "when", "transform": "minuteOfDay" },
                { "name": "yday", "field": "when", "transform": "dayOfYear" }
              ],
              "queries": [
                {
                  "name": "recent_x", "table": "readings", "keys": { "station": "station" },
                  "window": { "field": "when", "from": "-4h", "to": "0" },
                  "filters": [ { "column": "kind", "op": "=", "value": "x" } ],
                  "aggregates": [
                    { "name": "rx_rows", "op": "count" },
                    { "name": "rx_n_count", "op": "count", "column": "n" },
                    { "name": "rx_avg_v", "op": "avg", "column": "v", "fill": -1 },
                    { "name": "rx_min_v", "op": "min", "column": "v", "fill": 99 },
                    { "name": "rx_max_w", "op": "max", "column": "w", "fill": -99 },
                    { "name": "rx_distinct_n", "op": "countDistinct", "column": "n" },
                    { "name": "rx_p75_v", "op": "percentile", "column": "v", "quantile": 0.75, "fill": -3 },
                    { "name": "rx_median_w", "op": "median", "column": "w", "fill": -4 }
                  ]
                },
                {
                  "name": "day", "table": "readings", "keys": { "station": "station" },
                  "window": { "field": "when", "from": "-1d", "to": "0" },
                  "filters": [ { "column": "v", "op": ">", "value": 1.5 }, { "column": "kind", "op": "!=", "value": "y" } ],
                  "aggregates": [
                    { "name": "day_var_v", "op": "var", "column": "v", "fill": 7 },
                    { "name": "day_std_w", "op": "std", "column": "w", "fill": 8 },
                    { "name": "day_sum_n", "op": "sum", "column": "n", "fill": 9 },
                    { "name": "day_kinds", "op": "countDistinct", "column": "kind" },
                    { "name": "day_p10_n", "op": "percentile", "column": "n", "quantile": 0.1, "fill": -5 }
                  ]
                },
                {
                  "name": "old", "table": "readings", "keys": { "station": "station" },
                  "window": { "field": "when", "from": "-10d", "to": "-9d" },
                  "aggregates": [
                    { "name": "old_avg_v", "op": "avg", "column": "v", "fill": 42 },
                    { "name": "old_rows", "op": "count" },
                    { "name": "old_p90_w", "op": "percentile", "column": "w", "quantile": 0.9, "fill": -3 },
                    { "name": "old_min_n", "op": "min", "column": "n", "fill": 11 }
                  ]
                },
                {
                  "name": "everything", "table": "readings",
                  "aggregates": [ { "name": "last_at", "op": "max", "column": "at" }, { "name": "stations", "op": "countDistinct", "column": "station" } ]
                }
              ],
              "inputs": [
                "x", "hour", "weekday", "minute", "yday",
                "rx_rows", "rx_n_count", "rx_avg_v", "rx_min_v", "rx_max_w", "rx_distinct_n", "rx_p75_v", "rx_median_w",
                "day_var_v", "day_std_w", "day_sum_n", "day_kinds", "day_p10_n",
                "old_avg_v", "old_rows", "old_p90_w", "old_min_n",
                "last_at", "stations"
              ],
              "model": { "file": "model.onnx" },
              "bound": { "delta": 1.0, "tau": 0.9 }
            }
            """)!;
        File.WriteAllText(_dir.File("pipeline.json"), spec.ToJsonString());

        // A linear model over the 24 inputs; the timestamp input (last_at, ~1.7e15 µs) gets weight 0.
        var weights = Enumerable.Range(0, 24).Select(i => i == 22 ? 0.0 : 0.25 + 0.125 * (i % 5)).ToArray();
        File.WriteAllBytes(_dir.File("model.onnx"), OnnxExporter.Regressor(new LinearModel(weights, 3.0)));
        return _dir.Path;
    }
}
