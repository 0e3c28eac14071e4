using System.Text.Json.Nodes;
using Biathlon.Engine.Diagnostics;
using Biathlon.Engine.Models.Export;
using Biathlon.Engine.Runtime;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine.Tests;

/// <summary>
/// What a request may carry and how the spec says so, over two small hand-written CSV tables (no real data, no DuckDB):
/// categorical request features (code and one-hot), open-ended windows, window bounds that would overflow, fills for
/// missing values, δ per request and the one rule for unknown keys. Every spec mistake is named by its JSON path; every
/// bad request by its field, as a <see cref="RequestException"/>.
/// </summary>
public sealed class RequestValueTests : IDisposable
{
    private static readonly DateTime s_when = new(2024, 3, 1, 14, 30, 0);

    private readonly TempDirectory _dir = new();

    public RequestValueTests()
    {
        // Station "a" has readings at 10:00, 11:00, ... of 2024-03-01 with v = 1..6; "b" has two readings.
        File.WriteAllText(_dir.File("readings.csv"), """
            station,at,v
            a,2024-03-01T10:00:00,1
            a,2024-03-01T11:00:00,2
            a,2024-03-01T12:00:00,3
            a,2024-03-01T13:00:00,4
            a,2024-03-01T14:00:00,5
            a,2024-03-01T15:00:00,6
            b,2024-03-01T10:30:00,100
            b,2024-03-01T11:30:00,200
            """.Replace("            ", "", StringComparison.Ordinal));

        // Integer keys and an integer time column (ticks).
        File.WriteAllText(_dir.File("motes.csv"), """
            mote,zone,tick,v
            1,1,100,1
            1,1,110,2
            1,1,120,3
            1,2,130,4
            2,1,100,10
            2,1,140,20
            """.Replace("            ", "", StringComparison.Ordinal));

        // Readings: x, city=Seattle, city=New York, city=<other>, recent_avg, recent_count.
        File.WriteAllBytes(_dir.File("onehot.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, 10, 20, 30, 0.5, -1.0], 3.0)));

        // Readings with the city coded: x, city, recent_avg, recent_count.
        File.WriteAllBytes(_dir.File("code.onnx"), OnnxExporter.Regressor(new LinearModel([2.0, 10, 0.5, -1.0], 3.0)));

        // Readings without the unseen values' input, the city listed first: city=Seattle, city=New York, x, recent_avg, recent_count.
        File.WriteAllBytes(_dir.File("five.onnx"), OnnxExporter.Regressor(new LinearModel([10.0, 20, 2, 0.5, -1.0], 3.0)));

        // Motes: y, m_avg, m_count.
        File.WriteAllBytes(_dir.File("motes.onnx"), OnnxExporter.Regressor(new LinearModel([1.0, 0.5, -1.0], 0.0)));
    }

    public void Dispose() => _dir.Dispose();

    private static JsonObject Readings() => JsonNode.Parse("""
        {
          "name": "readings",
          "task": "regression",
          "tables": [ { "name": "readings", "source": "readings.csv", "timeColumn": "at", "partitions": 10 } ],
          "request": [
            { "name": "station", "type": "string" },
            { "name": "when", "type": "timestamp" },
            { "name": "x", "type": "number" },
            { "name": "city", "type": "string" }
          ],
          "requestFeatures": [
            { "name": "x", "field": "x" },
            { "name": "city", "field": "city", "transform": "oneHot", "categories": [ "Seattle", "New York" ], "unknown": "other" }
          ],
          "queries": [
            {
              "name": "recent", "table": "readings", "keys": { "station": "station" },
              "window": { "field": "when", "from": "-3h", "to": "0" },
              "aggregates": [ { "name": "recent_avg", "op": "avg", "column": "v", "fill": 7 }, { "name": "recent_count", "op": "count" } ]
            }
          ],
          "inputs": [ "x", "city", "recent_avg", "recent_count" ],
          "model": { "file": "onehot.onnx" },
          "bound": { "delta": 1.0, "tau": 0.9 }
        }
        """)!.AsObject();

    private static JsonObject Motes() => JsonNode.Parse("""
        {
          "name": "motes",
          "task": "regression",
          "tables": [ { "name": "motes", "source": "motes.csv", "timeColumn": "tick", "partitions": 10 } ],
          "request": [ { "name": "mote", "type": "integer" }, { "name": "tick", "type": "integer" }, { "name": "y", "type": "number" } ],
          "requestFeatures": [ { "name": "y", "field": "y" } ],
          "queries": [
            {
              "name": "by_mote", "table": "motes", "keys": { "mote": "mote" },
              "window": { "field": "tick", "from": "-20", "to": "0" },
              "aggregates": [ { "name": "m_avg", "op": "avg", "column": "v", "fill": 7 }, { "name": "m_count", "op": "count" } ]
            }
          ],
          "inputs": [ "y", "m_avg", "m_count" ],
          "model": { "file": "motes.onnx" },
          "bound": { "delta": 1.0, "tau": 0.9 }
        }
        """)!.AsObject();

    private static Dictionary<string, object?> Reading(string station = "a", string city = "New York", double x = 2.0) => new()
    {
        ["station"] = station,
        ["when"] = s_when,
        ["x"] = x,
        ["city"] = city,
    };

    private static Dictionary<string, object?> Mote(long mote = 1, long tick = 125, double y = 1.0) => new() { ["mote"] = mote, ["tick"] = tick, ["y"] = y };

    private int _specs;

    /// <summary>Writes <paramref name="spec"/> beside the tables (one spec file per call) and returns its path.</summary>
    private string Write(JsonObject spec)
    {
        var file = _dir.File($"pipeline-{_specs++}.json");
        File.WriteAllText(file, spec.ToJsonString());
        return file;
    }

    private async Task<BiathlonEngine> LoadAsync(JsonObject spec) =>
        await BiathlonEngine.LoadAsync(Write(spec), new EngineOptions { CacheDirectory = _dir.File("cache") });

    private static JsonObject Edit(JsonObject spec, Action<JsonObject> edit)
    {
        edit(spec);
        return spec;
    }

    /// <summary>The spec fails validation at <paramref name="path"/>; the message names the file and the path.</summary>
    private PipelineSpecException SpecFails(JsonObject spec, string path)
    {
        var file = Write(spec);
        var e = Assert.Throws<PipelineSpecException>(() => PipelineSpecLoader.Load(file));
        Assert.Equal(file, e.File);
        Assert.Equal(path, e.JsonPath);
        Assert.StartsWith($"{file}: {path}: ", e.Message, StringComparison.Ordinal);
        return e;
    }

    /// <summary>Both serving paths refuse <paramref name="request"/> with a <see cref="RequestException"/> (nothing else) naming <paramref name="field"/>.</summary>
    private static RequestException Refused(BiathlonEngine engine, Dictionary<string, object?> request, string field)
    {
        var exact = Assert.Throws<RequestException>(() => engine.PredictExact(request));
        var approximate = Assert.Throws<RequestException>(() => engine.Predict(request, new PredictOptions { ExactShortcut = false }));
        Assert.Equal(field, exact.Field);
        Assert.Equal(field, approximate.Field);
        Assert.Equal(exact.Message, approximate.Message);
        return exact;
    }

    private static double Feature(PredictionResult result, string name) => result.Features.Single(f => f.Name == name).Value;

    // ---- 1. Categorical request fields ----

    [Fact]
    public async Task A_one_hot_feature_expands_in_place_into_named_inputs()
    {
        using var engine = await LoadAsync(Readings());
        Assert.Equal(["x", "city=Seattle", "city=New York", "city=<other>", "recent_avg", "recent_count"], engine.InputNames);
        Assert.Equal(6, engine.Definition.Inputs.Count);
        Assert.Equal([0, 1, 2], engine.Definition.Inputs.Skip(1).Take(3).Select(i => i.Category));

        // Window [11:30, 14:30) of station a: v = 3, 4, 5 (avg 4, count 3).
        foreach (var (city, weight) in new[] { ("Seattle", 10.0), ("New York", 20.0), ("Paris", 30.0) })
        {
            var exact = engine.PredictExact(Reading(city: city));
            Assert.Equal(2 * 2 + weight + 0.5 * 4 - 3 + 3, exact.Value, 5);
            Assert.Equal(engine.InputNames, exact.Features.Select(f => f.Name));
            Assert.Equal(1.0, Feature(exact, city == "Paris" ? "city=<other>" : $"city={city}"));
            Assert.Equal(1.0, exact.Features.Skip(1).Take(3).Sum(f => f.Value));

            var approximate = engine.Predict(Reading(city: city), new PredictOptions { ExactShortcut = false });
            Assert.Equal(engine.InputNames, approximate.Features.Select(f => f.Name));
            Assert.True(approximate.IsExact || Math.Abs(approximate.Value - exact.Value) <= 1.0 || !approximate.MeetsBound);
            Assert.Equal(1.0, Feature(approximate, city == "Paris" ? "city=<other>" : $"city={city}"));
        }

        var features = new float[engine.InputNames.Count];
        new PipelineDiagnostics(engine).ComputeExactFeatures(Reading(city: "Seattle"), features);
        Assert.Equal([2f, 1f, 0f, 0f, 4f, 3f], features);
    }

    [Fact]
    public async Task A_coded_feature_is_the_category_index_and_unseen_values_follow_the_unknown_policy()
    {
        var spec = Edit(Readings(), s =>
        {
            s["requestFeatures"]![1]!["transform"] = "code";
            s["model"]!["file"] = "code.onnx";
        });
        using (var engine = await LoadAsync(spec))
        {
            Assert.Equal(["x", "city", "recent_avg", "recent_count"], engine.InputNames);
            Assert.Equal(0.0, Feature(engine.PredictExact(Reading(city: "Seattle")), "city"));
            Assert.Equal(1.0, Feature(engine.PredictExact(Reading(city: "New York")), "city"));
            var other = engine.PredictExact(Reading(city: "Paris"));
            Assert.Equal(2.0, Feature(other, "city"));
            Assert.Equal(2 * 2 + 10 * 2 + 0.5 * 4 - 3 + 3, other.Value, 5);
        }

        spec["requestFeatures"]![1]!.AsObject().Remove("unknown"); // default: "error"
        using (var engine = await LoadAsync(spec))
        {
            var e = Refused(engine, Reading(city: "Paris"), "city");
            Assert.Contains("'Paris'", e.Message);
            Assert.Contains("not among the declared categories", e.Message);
            Assert.Equal(1.0, Feature(engine.PredictExact(Reading(city: "New York")), "city"));
        }
    }

    [Fact]
    public async Task A_one_hot_feature_without_other_refuses_unseen_values_and_counts_one_input_per_category()
    {
        // The model's width is checked against the expanded inputs, and the error lists them.
        var e = await Assert.ThrowsAsync<PipelineSpecException>(() => LoadAsync(Edit(Readings(), s => s["model"]!["file"] = "code.onnx")));
        Assert.Equal("$.inputs", e.JsonPath);
        Assert.Contains("the model takes 4 inputs but the spec lists 6", e.Message);
        Assert.Contains("city=<other>", e.Message);

        var noOther = Edit(Readings(), s =>
        {
            s["requestFeatures"]![1]!["unknown"] = "error";
            s["inputs"] = new JsonArray("city", "x", "recent_avg", "recent_count"); // listed first: expands first
            s["model"]!["file"] = "five.onnx";
        });
        using var strict = await LoadAsync(noOther);
        Assert.Equal(["city=Seattle", "city=New York", "x", "recent_avg", "recent_count"], strict.InputNames);
        Assert.Equal(20 + 2 * 2 + 0.5 * 4 - 3 + 3, strict.PredictExact(Reading(city: "New York")).Value, 5);
        Assert.Contains("'Paris'", Refused(strict, Reading(city: "Paris"), "city").Message);
    }

    [Fact]
    public void Categorical_spec_mistakes_are_named_by_json_path()
    {
        var feature = "$.requestFeatures[1]";
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!.AsObject().Remove("categories")), $"{feature}.categories");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["categories"] = new JsonArray()), $"{feature}.categories");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["categories"] = new JsonArray("Seattle", "Paris", "Seattle")), $"{feature}.categories[2]");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["categories"] = new JsonArray("Seattle", null)), $"{feature}.categories[1]");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["categories"] = new JsonArray("Seattle", "<other>")), $"{feature}.categories[1]");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["unknown"] = "ignore"), $"{feature}.unknown");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["transform"] = "ordinal"), $"{feature}.transform");

        // A categorical transform needs a string field; categories need a categorical transform.
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1]!["field"] = "x"), $"{feature}.transform");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![0]!["categories"] = new JsonArray("1", "2")), "$.requestFeatures[0].categories");
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![0]!["unknown"] = "other"), "$.requestFeatures[0].unknown");

        // A string field under a numeric transform stays an error.
        var asValue = SpecFails(Edit(Readings(), s => s["requestFeatures"]![1] = new JsonObject { ["name"] = "city", ["field"] = "city" }), $"{feature}.field");
        Assert.Contains("code or oneHot", asValue.Message);
        SpecFails(Edit(Readings(), s => s["requestFeatures"]![1] = new JsonObject { ["name"] = "city", ["field"] = "city", ["transform"] = "hourOfDay" }), $"{feature}.field");

        // Expanded names may not collide with another input.
        SpecFails(Edit(Readings(), s =>
        {
            s["queries"]![0]!["aggregates"]![0]!["name"] = "city=Seattle";
            s["inputs"] = new JsonArray("x", "city", "city=Seattle", "recent_count");
        }), "$.inputs[2]");
        SpecFails(Edit(Readings(), s =>
        {
            s["queries"]![0]!["aggregates"]![0]!["name"] = "city=Seattle";
            s["inputs"] = new JsonArray("x", "city=Seattle", "city", "recent_count");
        }), "$.inputs[2]");
    }

    [Fact]
    public void The_shared_encoder_applies_the_same_rule()
    {
        var definition = PipelineSpecLoader.Load(Write(Readings()));
        var other = definition.Inputs[3];
        Assert.Equal("city=<other>", other.Name);
        Assert.Equal(1.0, RequestFieldValues.Encode(other, "Paris"));
        Assert.Equal(0.0, RequestFieldValues.Encode(other, "Seattle"));
        Assert.Equal(1.0, RequestFieldValues.Encode(definition.Inputs[1], "Seattle"));
        var strict = definition.Inputs[1] with { Unknown = UnknownCategory.Error };
        Assert.Equal("city", Assert.Throws<RequestException>(() => RequestFieldValues.Encode(strict, "Paris")).Field);
        Assert.Throws<ArgumentException>(() => RequestFieldValues.Encode(definition.Inputs[0], "2"));
    }

    // ---- 2. Open-ended windows ----

    public static TheoryData<string, string, double, long> ReadingWindows() => new()
    {
        // from, to, avg v, count — for station a at 14:30.
        { "unbounded", "0", 3, 5 },      // 10:00 … 14:00
        { "-3h", "unbounded", 4.5, 4 },  // 12:00 … 15:00
        { "unbounded", "unbounded", 3.5, 6 },
    };

    [Theory]
    [MemberData(nameof(ReadingWindows))]
    public async Task An_open_window_on_a_timestamp_reads_every_row_on_its_open_side(string from, string to, double avg, long count)
    {
        using var engine = await LoadAsync(Edit(Readings(), s => s["queries"]![0]!["window"] = new JsonObject { ["field"] = "when", ["from"] = from, ["to"] = to }));
        AssertWindow(engine, Reading(), "recent_avg", "recent_count", avg, count);
    }

    public static TheoryData<string, string, double, long> MoteWindows() => new()
    {
        // from, to, avg v, count — for mote 1 at tick 125.
        { "unbounded", "0", 2, 3 },      // ticks 100, 110, 120
        { "-20", "unbounded", 3, 3 },    // ticks 110, 120, 130
        { "unbounded", "unbounded", 2.5, 4 },
    };

    [Theory]
    [MemberData(nameof(MoteWindows))]
    public async Task An_open_window_on_an_integer_time_reads_every_row_on_its_open_side(string from, string to, double avg, long count)
    {
        using var engine = await LoadAsync(Edit(Motes(), s => s["queries"]![0]!["window"] = new JsonObject { ["field"] = "tick", ["from"] = from, ["to"] = to }));
        AssertWindow(engine, Mote(), "m_avg", "m_count", avg, count);
    }

    /// <summary>The exact path, the sampled path (rows it would read, its features) and the diagnostics agree on the window.</summary>
    private static void AssertWindow(BiathlonEngine engine, Dictionary<string, object?> request, string avgName, string countName, double avg, long count)
    {
        var exact = engine.PredictExact(request);
        Assert.Equal(avg, Feature(exact, avgName), 9);
        Assert.Equal(count, Feature(exact, countName));
        Assert.Equal(count, exact.Queries[0].EstimatedRows);

        var sampled = engine.Predict(request, new PredictOptions { ExactShortcut = false });
        Assert.Equal(count, sampled.Queries[0].EstimatedRows);
        if (sampled.IsExact)
        {
            Assert.Equal(exact.Value, sampled.Value, 9);
        }

        var fixedFraction = engine.Predict(request, new PredictOptions { FixedFraction = 0.5 });
        Assert.Equal(count, fixedFraction.Queries[0].EstimatedRows);
        Assert.Equal(count, new PipelineDiagnostics(engine).MeasureQuery(request, 0, 0.5).ExactRows);
    }

    [Fact]
    public void Open_and_bad_window_ends_are_checked_at_load()
    {
        var definition = PipelineSpecLoader.Load(Write(Edit(Readings(), s => s["queries"]![0]!["window"]!["from"] = "unbounded")));
        Assert.Equal(long.MinValue, definition.Queries[0].WindowFrom);
        Assert.Equal(0, definition.Queries[0].WindowTo);
        definition = PipelineSpecLoader.Load(Write(Edit(Readings(), s => s["queries"]![0]!["window"]!["to"] = "Unbounded")));
        Assert.Equal(long.MaxValue, definition.Queries[0].WindowTo);

        SpecFails(Edit(Readings(), s => s["queries"]![0]!["window"]!["from"] = "forever"), "$.queries[0].window.from");
        SpecFails(Edit(Readings(), s => s["queries"]![0]!["window"]!["to"] = "-4h"), "$.queries[0].window.from");

        // An offset too large for 64 bits of microseconds is a spec error, not an overflow.
        Assert.Contains("not an offset", SpecFails(Edit(Readings(), s => s["queries"]![0]!["window"]!["from"] = "-9999999999999999d"), "$.queries[0].window.from").Message);
        SpecFails(Edit(Motes(), s => s["queries"]![0]!["window"]!["from"] = "-9223372036854775808"), "$.queries[0].window.from");
        Assert.False(PipelineSpecLoader.TryParseOffset("99999999999999w", out _, out _));
    }

    // ---- 3. Overflow-safe window arithmetic ----

    [Fact]
    public async Task A_request_time_that_pushes_a_window_bound_past_the_int64_range_is_a_request_error()
    {
        using var engine = await LoadAsync(Motes());
        var low = Refused(engine, Mote(tick: long.MinValue), "tick");
        Assert.Contains("by_mote", low.Message);
        Assert.Contains("-9223372036854775808", low.Message);

        using var late = await LoadAsync(Edit(Motes(), s => s["queries"]![0]!["window"]!["to"] = "5"));
        Assert.Contains("end", Refused(late, Mote(tick: long.MaxValue - 2), "tick").Message);

        // An open end adds nothing, so it never overflows: the last possible tick reads an empty window.
        using var open = await LoadAsync(Edit(Motes(), s => s["queries"]![0]!["window"]!["to"] = "unbounded"));
        var result = open.PredictExact(Mote(tick: long.MaxValue));
        Assert.Equal(0, Feature(result, "m_count"));
        Assert.Equal(7, Feature(result, "m_avg"));
        using var openStart = await LoadAsync(Edit(Motes(), s => s["queries"]![0]!["window"]!["from"] = "unbounded"));
        Assert.Equal(0, Feature(openStart.PredictExact(Mote(tick: long.MinValue + 1)), "m_count"));
    }

    [Fact]
    public async Task A_timestamp_that_pushes_a_window_bound_outside_datetime_is_a_request_error()
    {
        using var engine = await LoadAsync(Edit(Readings(), s => s["queries"]![0]!["window"]!["to"] = "1h"));
        var early = Reading();
        early["when"] = DateTime.MinValue;
        Assert.Contains("recent", Refused(engine, early, "when").Message);
        var late = Reading();
        late["when"] = DateTime.MaxValue;
        Refused(engine, late, "when");

        // A timestamp given as microseconds must itself be one a DateTime holds.
        var huge = Reading();
        huge["when"] = long.MaxValue;
        Assert.Contains("outside the timestamps", Refused(engine, huge, "when").Message);

        // Near the ends, a window that stays inside is served.
        var nearEnd = Reading();
        nearEnd["when"] = DateTime.MaxValue.AddHours(-2);
        Assert.Equal(0, Feature(engine.PredictExact(nearEnd), "recent_count"));
    }

    // ---- 4. Fills ----

    private static JsonObject WithFills(JsonObject spec)
    {
        spec["request"]![1]!["fill"] = "2024-03-01T14:30:00";
        spec["request"]![2]!["fill"] = 1.5;
        spec["request"]![3]!["fill"] = "Paris";
        return spec;
    }

    [Fact]
    public async Task A_missing_null_or_nan_value_takes_the_fields_fill()
    {
        using var engine = await LoadAsync(WithFills(Readings()));
        var given = engine.PredictExact(Reading(x: 1.5));

        foreach (var value in new object?[] { null, double.NaN, float.NaN, System.Text.Json.JsonDocument.Parse("null").RootElement })
        {
            var request = Reading();
            request["x"] = value;
            var filled = engine.PredictExact(request);
            Assert.Equal(given.Value, filled.Value);
            Assert.Equal(given.Seed, filled.Seed); // the fill replays as if sent
        }

        var missing = Reading();
        missing.Remove("x");
        missing.Remove("when");
        Assert.Equal(given.Value, engine.PredictExact(missing).Value);
        Assert.Equal(given.Seed, engine.Predict(missing, new PredictOptions { ExactShortcut = false }).Seed);

        // A string fill need not be a category: it is then an unseen value, under the feature's unknown policy.
        var noCity = Reading();
        noCity.Remove("city");
        Assert.Equal(1.0, Feature(engine.PredictExact(noCity), "city=<other>"));
        using var strict = await LoadAsync(Edit(WithFills(Readings()), s =>
        {
            s["requestFeatures"]![1]!["unknown"] = "error";
            s["model"]!["file"] = "five.onnx";
        }));
        Assert.Contains("'Paris'", Refused(strict, noCity, "city").Message);

        // Integer fields take an integer fill.
        using var motes = await LoadAsync(Edit(Motes(), s => s["request"]![1]!["fill"] = 125));
        var noTick = Mote();
        noTick.Remove("tick");
        Assert.Equal(motes.PredictExact(Mote()).Value, motes.PredictExact(noTick).Value);
    }

    [Fact]
    public async Task Without_a_fill_a_missing_null_or_nan_value_is_refused_by_name()
    {
        using var engine = await LoadAsync(Readings());
        var missing = Reading();
        missing.Remove("x");
        Assert.Contains("missing", Refused(engine, missing, "x").Message);
        var nan = Reading(x: double.NaN);
        Assert.Contains("finite", Refused(engine, nan, "x").Message);
        var nullCity = Reading();
        nullCity["city"] = null;
        Assert.Contains("null", Refused(engine, nullCity, "city").Message);

        using var motes = await LoadAsync(Motes());
        var nanTick = Mote();
        nanTick["tick"] = double.NaN;
        Refused(motes, nanTick, "tick");
    }

    [Fact]
    public void A_fill_of_the_wrong_type_is_a_spec_error_at_its_path()
    {
        SpecFails(Edit(Readings(), s => s["request"]![2]!["fill"] = "1.5"), "$.request[2].fill");
        SpecFails(Edit(Readings(), s => s["request"]![0]!["fill"] = 3), "$.request[0].fill");
        SpecFails(Edit(Readings(), s => s["request"]![1]!["fill"] = "yesterday"), "$.request[1].fill");
        SpecFails(Edit(Readings(), s => s["request"]![1]!["fill"] = 1_700_000_000), "$.request[1].fill");
        SpecFails(Edit(Readings(), s => s["request"]![2]!["fill"] = null), "$.request[2].fill");
        SpecFails(Edit(Readings(), s => s["request"]![2]!["fill"] = new JsonArray(1)), "$.request[2].fill");
        SpecFails(Edit(Motes(), s => s["request"]![1]!["fill"] = 1.5), "$.request[1].fill");

        var definition = PipelineSpecLoader.Load(Write(Edit(WithFills(Readings()), s => s["request"]![0]!["fill"] = "a")));
        Assert.Equal(["a", new DateTime(2024, 3, 1, 14, 30, 0), 1.5, "Paris"], definition.Request.Select(f => f.Fill));
        Assert.Equal(125L, PipelineSpecLoader.Load(Write(Edit(Motes(), s => s["request"]![1]!["fill"] = 125))).Request[1].Fill);
    }

    // ---- 5. δ per request ----

    private static JsonObject WithDeltaField(JsonObject spec, string kind = "absolute")
    {
        spec["request"]!.AsArray().Add(new JsonObject { ["name"] = "tolerance", ["type"] = "number" });
        spec["bound"] = new JsonObject { ["kind"] = kind, ["deltaField"] = "tolerance", ["tau"] = 0.9 };
        return spec;
    }

    private static Dictionary<string, object?> WithTolerance(Dictionary<string, object?> request, object? tolerance)
    {
        request["tolerance"] = tolerance;
        return request;
    }

    [Fact]
    public async Task Each_request_brings_its_own_delta_and_the_result_reports_it()
    {
        using var engine = await LoadAsync(WithDeltaField(Readings()));
        Assert.True(double.IsNaN(engine.Delta));
        foreach (var tolerance in new[] { 0.25, 2.5, 40.0 })
        {
            var result = engine.Predict(WithTolerance(Reading(), tolerance), new PredictOptions { ExactShortcut = false });
            Assert.Equal(tolerance, result.RequestedDelta);
            Assert.Equal(tolerance, result.Delta);
            Assert.Equal(tolerance, engine.PredictExact(WithTolerance(Reading(), tolerance)).RequestedDelta);
        }

        // A call's own δ still wins.
        Assert.Equal(4.0, engine.Predict(WithTolerance(Reading(), 2.5), new PredictOptions { Delta = 4.0 }).RequestedDelta);

        using var relative = await LoadAsync(WithDeltaField(Readings(), "relative"));
        var r = relative.PredictExact(WithTolerance(Reading(), 0.1));
        Assert.Equal(0.1, r.RequestedDelta);
        Assert.Equal(0.1 * Math.Abs(r.Value), r.Delta, 12);
    }

    [Fact]
    public async Task A_delta_field_that_is_missing_nan_infinite_or_not_above_zero_is_refused_by_name()
    {
        using var engine = await LoadAsync(WithDeltaField(Readings()));
        foreach (var bad in new object?[] { 0.0, -1.0, double.NaN, double.PositiveInfinity, null, "wide" })
        {
            Refused(engine, WithTolerance(Reading(), bad), "tolerance");
        }

        Refused(engine, Reading(), "tolerance"); // missing
        Assert.Contains("above 0", Refused(engine, WithTolerance(Reading(), 0.0), "tolerance").Message);

        // With a fill, a missing δ takes it.
        using var filled = await LoadAsync(Edit(WithDeltaField(Readings()), s => s["request"]![4]!["fill"] = 3.0));
        Assert.Equal(3.0, filled.PredictExact(Reading()).RequestedDelta);
    }

    [Fact]
    public void Delta_field_mistakes_are_named_at_bound_delta_field()
    {
        SpecFails(Edit(WithDeltaField(Readings()), s => s["bound"]!["delta"] = 1.0), "$.bound.deltaField");
        SpecFails(Edit(WithDeltaField(Readings()), s => s["bound"]!["deltaMetadata"] = "validation_mae"), "$.bound.deltaField");
        Assert.Contains("number", SpecFails(Edit(WithDeltaField(Readings()), s => s["bound"]!["deltaField"] = "city"), "$.bound.deltaField").Message);
        SpecFails(Edit(WithDeltaField(Readings()), s => s["bound"]!["deltaField"] = "slack"), "$.bound.deltaField");
        SpecFails(Edit(WithDeltaField(Readings()), s => s["task"] = "binary"), "$.bound.deltaField");
        Assert.Equal("tolerance", PipelineSpecLoader.Load(Write(WithDeltaField(Readings()))).Bound.DeltaField);
    }

    // ---- 6. Unknown keys ----

    [Fact]
    public async Task An_unknown_string_key_is_refused_by_default_and_served_as_no_rows_when_empty()
    {
        using (var engine = await LoadAsync(Readings()))
        {
            var e = Refused(engine, Reading(station: "zzz"), "station");
            Assert.Contains("'zzz'", e.Message);
            Assert.Contains("recent", e.Message);
        }

        using var empty = await LoadAsync(Edit(Readings(), s => s["queries"]![0]!["unknownKeys"] = "empty"));
        AssertEmpty(empty, Reading(station: "zzz"), "recent_avg", "recent_count", 2 * 2 + 20 + 0.5 * 7 + 3);
    }

    [Fact]
    public async Task An_unknown_integer_key_is_refused_by_default_and_served_as_no_rows_when_empty()
    {
        using (var engine = await LoadAsync(Motes()))
        {
            var e = Refused(engine, Mote(mote: 99), "mote");
            Assert.Contains("99", e.Message);
            Assert.Contains("by_mote", e.Message);
        }

        using var empty = await LoadAsync(Edit(Motes(), s => s["queries"]![0]!["unknownKeys"] = "empty"));
        AssertEmpty(empty, Mote(mote: 99), "m_avg", "m_count", 1 + 0.5 * 7);
    }

    [Fact]
    public async Task With_several_keys_each_value_is_checked_alone_and_an_unheld_combination_is_no_rows()
    {
        var spec = Edit(Motes(), s =>
        {
            s["request"]!.AsArray().Add(new JsonObject { ["name"] = "zone", ["type"] = "integer" });
            s["queries"]![0]!["keys"] = new JsonObject { ["mote"] = "mote", ["zone"] = "zone" };
        });
        Dictionary<string, object?> Request(long mote, long zone) => new() { ["mote"] = mote, ["zone"] = zone, ["tick"] = 110L, ["y"] = 1.0 };
        using (var engine = await LoadAsync(spec))
        {
            // Mote 2 and zone 2 are both held, never together (a route never flown between two known airports): no rows.
            var never = engine.PredictExact(Request(2, 2));
            Assert.Equal(0, Feature(never, "m_count"));
            Assert.Equal(7, Feature(never, "m_avg"));
            Assert.Equal(1, Feature(engine.PredictExact(Request(2, 1)), "m_count")); // tick 100 in [90, 110)

            // A value no row holds in its column is unknown, whichever key it is.
            Assert.Contains("zone = 9", Refused(engine, Request(2, 9), "zone").Message);
            Assert.Contains("mote = 99", Refused(engine, Request(99, 1), "mote").Message);
        }

        // The value sets are cached with the table: a second load reads them back, and a cache entry without them
        // (built before they were kept) gets them from the source.
        var sets = Directory.GetFiles(_dir.File("cache"), "keyvalues-*.bin", SearchOption.AllDirectories);
        Assert.Equal(2, sets.Length);
        using (var again = await LoadAsync(spec))
        {
            Refused(again, Request(2, 9), "zone");
            Assert.Equal(0, Feature(again.PredictExact(Request(2, 2)), "m_count"));
        }

        foreach (var set in sets)
        {
            File.Delete(set);
        }

        using (var rebuilt = await LoadAsync(spec))
        {
            Refused(rebuilt, Request(2, 9), "zone");
            Refused(rebuilt, Request(99, 1), "mote");
        }

        Assert.Equal(2, Directory.GetFiles(_dir.File("cache"), "keyvalues-*.bin", SearchOption.AllDirectories).Length);

        using var empty = await LoadAsync(Edit(spec, s => s["queries"]![0]!["unknownKeys"] = "empty"));
        Assert.Equal(0, Feature(empty.PredictExact(Request(2, 9)), "m_count"));
        Assert.Equal(0, Feature(empty.Predict(Request(99, 9), new PredictOptions { ExactShortcut = false }), "m_count"));
    }

    [Fact]
    public async Task With_a_string_and_a_number_key_each_value_is_checked_alone()
    {
        File.WriteAllText(_dir.File("levels.csv"), "site,level,tick,v\nn,1.5,100,1\nn,2.5,110,2\ns,1.5,120,3\n");
        var spec = Edit(Motes(), s =>
        {
            s["tables"]![0]!["source"] = "levels.csv";
            s["request"] = new JsonArray(
                new JsonObject { ["name"] = "site", ["type"] = "string" },
                new JsonObject { ["name"] = "level", ["type"] = "number" },
                new JsonObject { ["name"] = "tick", ["type"] = "integer" },
                new JsonObject { ["name"] = "y", ["type"] = "number" });
            s["queries"]![0]!["keys"] = new JsonObject { ["site"] = "site", ["level"] = "level" };
            s["queries"]![0]!["window"]!["from"] = "-50";
        });
        Dictionary<string, object?> Request(string site, double level) => new() { ["site"] = site, ["level"] = level, ["tick"] = 125L, ["y"] = 1.0 };
        using var engine = await LoadAsync(spec);
        Assert.Equal(1, Feature(engine.PredictExact(Request("n", 1.5)), "m_count"));
        Assert.Equal(0, Feature(engine.PredictExact(Request("s", 2.5)), "m_count")); // both held, never together
        Assert.Contains("level = 3.5", Refused(engine, Request("n", 3.5), "level").Message);
        Assert.Contains("'zzz'", Refused(engine, Request("zzz", 1.5), "site").Message);
    }

    /// <summary>An unknown key served as no rows: COUNT 0, AVG its fill, exactly and approximately.</summary>
    private static void AssertEmpty(BiathlonEngine engine, Dictionary<string, object?> request, string avgName, string countName, double expected)
    {
        var exact = engine.PredictExact(request);
        Assert.Equal(expected, exact.Value, 5);
        Assert.Equal(7, Feature(exact, avgName));
        Assert.Equal(0, Feature(exact, countName));
        Assert.Equal(0, exact.Queries[0].EstimatedRows);

        var approximate = engine.Predict(request, new PredictOptions { ExactShortcut = false });
        Assert.Equal(expected, approximate.Value, 5);
        Assert.Equal(0, Feature(approximate, countName));
    }

    [Fact]
    public void Unknown_key_policy_mistakes_are_named()
    {
        SpecFails(Edit(Readings(), s => s["queries"]![0]!["unknownKeys"] = "skip"), "$.queries[0].unknownKeys");
        SpecFails(Edit(Readings(), s =>
        {
            s["queries"]![0]!.AsObject().Remove("keys");
            s["queries"]![0]!["unknownKeys"] = "empty";
        }), "$.queries[0].unknownKeys");
        Assert.Equal(UnknownKeys.Error, PipelineSpecLoader.Load(Write(Readings())).Queries[0].UnknownKeys);
        Assert.Equal(UnknownKeys.Empty, PipelineSpecLoader.Load(Write(Edit(Readings(), s => s["queries"]![0]!["unknownKeys"] = "empty"))).Queries[0].UnknownKeys);
    }
}
