using System.Globalization;
using System.Text.Json;
using Biathlon.Engine.Models.Export;
using Biathlon.Experiments.Pipelines;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// A pipeline over the real PM10 table (data/real/air-pm10.csv) that uses every request-value shape of the spec the
/// SQL baselines must reproduce: a one-hot and a code of the station over three declared stations (others coded as
/// "other"), a number field with a fill, a string key field with a fill, windows unbounded on either or both ends,
/// <c>unknownKeys: "empty"</c> and (optionally) <c>"error"</c>, and optionally δ per request (<c>bound.deltaField</c>).
/// Its requests are real rows of the table (fixed seed) with some values left out, null or NaN.
/// </summary>
internal static class BaselineSpecPipeline
{
    /// <summary>The stations the categorical inputs declare (the three with most readings).</summary>
    public static readonly string[] Stations = ["DEMV017", "DENI063", "DENI058"];

    /// <summary>A station id the table never holds.</summary>
    public const string UnknownStation = "DEXX999";

    /// <summary>Model inputs after the one-hot expansion: hub (4), station_code, day_of_year, level, then 9 aggregates.</summary>
    public const int InputWidth = 16;

    /// <summary>
    /// Writes pipeline.json and a linear model.onnx into <paramref name="folder"/>. <paramref name="station7dUnknownKeys"/>
    /// is query station_7d's <c>unknownKeys</c>; with <paramref name="deltaField"/> δ comes from the request field
    /// <c>tolerance</c>, else it is 2.
    /// </summary>
    public static string Write(string folder, string station7dUnknownKeys = "empty", bool deltaField = false)
    {
        var recipe = RecipeCatalog.Find("pm10-forecast");
        var source = RealData.Require(recipe.DatasetSet, recipe.DatasetFile);
        var categories = string.Join(", ", Stations.Select(s => $"\"{s}\""));
        var bound = deltaField ? "\"deltaField\": \"tolerance\"" : "\"delta\": 2";
        var spec = $$"""
            {
              "name": "pm10-baseline-spec",
              "task": "regression",
              "tables": [ { "name": "air", "source": {{JsonSerializer.Serialize(source)}}, "timeColumn": "date", "partitions": 20, "seed": 0 } ],
              "request": [
                { "name": "station", "type": "string", "fill": "DEMV017" },
                { "name": "day", "type": "timestamp" },
                { "name": "level", "type": "number", "fill": 25 },
                { "name": "tolerance", "type": "number", "fill": 4 }
              ],
              "requestFeatures": [
                { "name": "hub", "field": "station", "transform": "oneHot", "categories": [ {{categories}} ], "unknown": "other" },
                { "name": "station_code", "field": "station", "transform": "code", "categories": [ {{categories}} ], "unknown": "other" },
                { "name": "day_of_year", "field": "day", "transform": "dayOfYear" },
                { "name": "level", "field": "level" }
              ],
              "queries": [
                {
                  "name": "history", "table": "air", "keys": { "station": "station" }, "unknownKeys": "empty",
                  "window": { "field": "day", "from": "unbounded", "to": "0d" },
                  "aggregates": [
                    { "name": "history_avg", "op": "avg", "column": "pm10", "fill": 20 },
                    { "name": "history_rows", "op": "count" },
                    { "name": "history_sum", "op": "sum", "column": "pm10" }
                  ]
                },
                {
                  "name": "station_7d", "table": "air", "keys": { "station": "station" }, "unknownKeys": "{{station7dUnknownKeys}}",
                  "window": { "field": "day", "from": "-7d", "to": "0d" },
                  "aggregates": [
                    { "name": "s7_avg", "op": "avg", "column": "pm10", "fill": 20 },
                    { "name": "s7_std", "op": "std", "column": "pm10", "fill": 0 }
                  ]
                },
                {
                  "name": "later", "table": "air",
                  "window": { "field": "day", "from": "0d", "to": "unbounded" },
                  "aggregates": [
                    { "name": "later_rows", "op": "count" },
                    { "name": "later_avg", "op": "avg", "column": "pm10", "fill": 20 }
                  ]
                },
                {
                  "name": "all_time", "table": "air",
                  "window": { "field": "day", "from": "unbounded", "to": "unbounded" },
                  "aggregates": [
                    { "name": "all_rows", "op": "count" },
                    { "name": "all_max", "op": "max", "column": "pm10" }
                  ]
                }
              ],
              "inputs": [
                "hub", "station_code", "day_of_year", "level",
                "history_avg", "history_rows", "history_sum", "s7_avg", "s7_std", "later_rows", "later_avg", "all_rows", "all_max"
              ],
              "model": { "file": "model.onnx" },
              "bound": { {{bound}}, "tau": 0.95 },
              "planner": { "initialFraction": 0.05, "baseSamples": 128, "seed": 0 }
            }
            """;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "pipeline.json"), spec);

        // Weights scaled to each input's size, so every input moves the prediction by a few µg/m³.
        double[] weights = [1.5, -1, 0.5, 2, 0.25, 0.01, 0.3, 0.2, 0.00005, 0.00001, 0.4, -0.3, 0.00002, 0.2, 0.00001, 0.01];
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), OnnxExporter.Regressor(new LinearModel(weights, 3.0)));
        return folder;
    }

    /// <summary>
    /// <paramref name="count"/> requests from real rows (seeded): a third at the declared stations, the rest at any
    /// station, the last two an unknown station and a request without a station (its fill). The level is the row's
    /// PM10, left out, null or NaN for some requests (the fill); tolerance (δ) varies and is sometimes left out.
    /// </summary>
    public static IReadOnlyList<HarnessRequest> Requests(int count, int seed)
    {
        var recipe = RecipeCatalog.Find("pm10-forecast");
        var rows = File.ReadLines(RealData.Require(recipe.DatasetSet, recipe.DatasetFile)).Skip(1)
            .Select(line => line.Split(','))
            .Select(p => (Station: p[0].Trim('"'), Day: DateTime.ParseExact(p[1].Trim('"'), "yyyy-MM-dd", CultureInfo.InvariantCulture),
                Pm10: double.TryParse(p[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN))
            .Where(r => r.Day.Year >= 1999)
            .ToArray();
        var random = new Random(seed);
        var declared = rows.Where(r => Stations.Contains(r.Station)).ToArray();
        var requests = new List<HarnessRequest>();
        for (var i = 0; i < count; i++)
        {
            // The first requests visit each declared station in turn, then any declared one, then any station.
            var pool = i < Stations.Length ? declared.Where(r => r.Station == Stations[i]).ToArray() : i < count / 3 ? declared : rows;
            var row = pool[random.Next(pool.Length)];
            var fields = new Dictionary<string, object?> { ["station"] = row.Station, ["day"] = row.Day };
            if (i == count - 2)
            {
                fields["station"] = UnknownStation;
            }
            else if (i == count - 1)
            {
                fields.Remove("station");
            }

            switch (i % 6)
            {
                case 1:
                    break; // level left out: its fill
                case 3:
                    fields["level"] = null;
                    break;
                case 5:
                    fields["level"] = double.NaN;
                    break;
                default:
                    fields["level"] = row.Pm10;
                    break;
            }

            if (i % 5 != 0)
            {
                fields["tolerance"] = 0.5 * (1 + (i % 4));
            }

            requests.Add(new HarnessRequest(fields, double.IsNaN(row.Pm10) ? 20 : row.Pm10, row.Day));
        }

        return requests;
    }
}
