using System.Text.Json;
using System.Text.Json.Nodes;
using Biathlon.Planner.Planning;
using Xunit.Abstractions;

namespace Biathlon.Engine.Tests;

/// <summary>
/// A request's randomness comes from its replay seed (a digest of its field values and the pipeline seed): the same
/// request replays the same samples and QMC designs whatever traffic came between, unless a decision priced by measured
/// costs shaped it (and then the result says so); different requests, and different queries of one request, read
/// different partitions. Real Flight-Delay pipeline and model; held-out June requests, counts stated per test.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class ReplayTests(FlightDelayFixture pipeline, ITestOutputHelper output)
{
    /// <summary>
    /// 4 requests × 3 option sets (the pipeline's bound, a one-round stop, a tight δ with 10 rounds), shortcut off: each
    /// result is identical after 60 other requests of every kind (approximate with default options, exact, fixed
    /// fraction, tight) ran in between, two at a time, on the same engine.
    /// </summary>
    [Fact]
    public void With_the_exact_shortcut_off_a_request_replays_identically_after_60_other_requests()
    {
        var engine = pipeline.Engine;
        PredictOptions[] optionSets =
        [
            new() { ExactShortcut = false },
            new() { ExactShortcut = false, MaxRounds = 1 },
            new() { ExactShortcut = false, MaxRounds = 10, Delta = 0.01 },
        ];
        var requests = pipeline.Test.Take(4).Select(r => r.ToRequest()).ToArray();
        var first = requests.SelectMany(r => optionSets.Select(o => engine.Predict(r, o))).ToArray();

        RunTraffic(engine, 100, 60);

        var second = requests.SelectMany(r => optionSets.Select(o => engine.Predict(r, o))).ToArray();
        for (var i = 0; i < first.Length; i++)
        {
            Assert.False(first[i].DependsOnMeasuredCosts);
            AssertSameResult(first[i], second[i]);
        }

        Assert.Contains(first, r => r.ValueKind == ValueKind.QmcMean);
        Assert.Contains(first, r => r.ValueKind == ValueKind.PointEstimates);
    }

    /// <summary>
    /// 12 requests with default options, sent before and after 60 other requests: a result may differ from its replay
    /// only when one of the two says a decision priced by measured costs shaped it, and
    /// <see cref="PredictionResult.DependsOnMeasuredCosts"/> is set exactly when the exact shortcut or a cost-based
    /// exact reason is reported.
    /// </summary>
    [Fact]
    public void With_default_options_a_replay_differs_only_when_measured_costs_shaped_a_result()
    {
        var engine = pipeline.Engine;
        var requests = pipeline.Test.Skip(10).Take(12).Select(r => r.ToRequest()).ToArray();
        var first = requests.Select(r => engine.Predict(r)).ToArray();

        RunTraffic(engine, 100, 60);

        var second = requests.Select(r => engine.Predict(r)).ToArray();
        int identical = 0, costShaped = 0;
        for (var i = 0; i < first.Length; i++)
        {
            foreach (var result in new[] { first[i], second[i] })
            {
                var costReason = result.TookExactShortcut || result.Queries.Any(q =>
                    q.ExactReason is ExactReason.ExactShortcut or ExactReason.CheapAtStart or ExactReason.CheaperToFinish);
                Assert.Equal(costReason, result.DependsOnMeasuredCosts);
                Assert.Equal(result.TookExactShortcut, result.Queries.All(q => q.ExactReason == ExactReason.ExactShortcut));
            }

            if (!first[i].DependsOnMeasuredCosts && !second[i].DependsOnMeasuredCosts)
            {
                AssertSameResult(first[i], second[i]);
                identical++;
            }
            else if (Same(first[i], second[i]))
            {
                identical++;
            }
            else
            {
                costShaped++;
                Assert.True(
                    first[i].DependsOnMeasuredCosts || second[i].DependsOnMeasuredCosts,
                    $"request {i} changed between sends though neither result depends on measured costs");
            }

            Assert.Equal(first[i].Seed, second[i].Seed);
        }

        output.WriteLine($"{identical} of 12 replays identical, {costShaped} differed (each flagged as shaped by measured costs)");
    }

    /// <summary>
    /// Fixed-fraction serving prices nothing by measured costs, so 4 requests at 5% and 20% replay identically after 60
    /// other requests (the QMC rounds among them leave S1 values in the engine's pooled request state).
    /// </summary>
    [Fact]
    public void A_fixed_fraction_request_replays_identically_after_60_other_requests()
    {
        var engine = pipeline.Engine;
        var requests = pipeline.Test.Skip(20).Take(4).Select(r => r.ToRequest()).ToArray();
        var fractions = new[] { 0.05, 0.2 };
        var first = requests.SelectMany(r => fractions.Select(z => engine.Predict(r, new PredictOptions { FixedFraction = z }))).ToArray();

        RunTraffic(engine, 100, 60);

        var second = requests.SelectMany(r => fractions.Select(z => engine.Predict(r, new PredictOptions { FixedFraction = z }))).ToArray();
        for (var i = 0; i < first.Length; i++)
        {
            Assert.Equal(StopReason.FixedFraction, first[i].StopReason);
            AssertSameResult(first[i], second[i]);
        }
    }

    /// <summary>
    /// One request written 12 ways (distance as double, int, long, float, decimal or a JSON number; departure as
    /// DateTime, ISO text, DateTimeOffset, microseconds or a JSON string; every field as JSON; keys in reverse order)
    /// has one seed and one sample; a change of one field's value changes the seed.
    /// </summary>
    [Fact]
    public void The_seed_digests_field_values_not_their_CLR_or_JSON_types_or_key_order()
    {
        var engine = pipeline.Engine;
        var flight = pipeline.Test[3].ToRequest();
        var distance = (double)flight["distance"]!;
        var departure = (DateTime)flight["departure"]!;
        Assert.Equal(Math.Floor(distance), distance);
        var micros = (departure.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
        var iso = departure.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            origin = (string)flight["origin"]!,
            destination = (string)flight["destination"]!,
            distance,
            departure = iso,
        })).RootElement;

        Dictionary<string, object?> With(string field, object value) => new(flight) { [field] = value };
        var forms = new List<(string Form, Dictionary<string, object?> Request)>
        {
            ("distance int", With("distance", (int)distance)),
            ("distance long", With("distance", (long)distance)),
            ("distance float", With("distance", (float)distance)),
            ("distance decimal", With("distance", (decimal)distance)),
            ("distance JSON", With("distance", json.GetProperty("distance"))),
            ("departure ISO text", With("departure", iso)),
            ("departure DateTimeOffset", With("departure", new DateTimeOffset(departure, TimeSpan.Zero))),
            ("departure micros", With("departure", micros)),
            ("departure JSON", With("departure", json.GetProperty("departure"))),
            ("origin JSON", With("origin", json.GetProperty("origin"))),
            ("all JSON", json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)),
            ("keys reversed", flight.Reverse().ToDictionary(p => p.Key, p => p.Value)),
        };

        var options = new PredictOptions { FixedFraction = 0.05 };
        var reference = engine.Predict(flight, options);
        foreach (var (form, request) in forms)
        {
            var result = engine.Predict(request, options);
            Assert.True(reference.Seed == result.Seed, $"{form}: seed {result.Seed:x16}, expected {reference.Seed:x16}");
            Assert.Equal(reference.Value, result.Value);
            Assert.Equal(reference.Features, result.Features);
            Assert.Equal(reference.Queries.Select(q => (q.RowsScanned, q.RowsMatched)), result.Queries.Select(q => (q.RowsScanned, q.RowsMatched)));
        }

        AssertSameResult(
            engine.Predict(flight, new PredictOptions { ExactShortcut = false }),
            engine.Predict(forms[^2].Request, new PredictOptions { ExactShortcut = false }));
        Assert.NotEqual(reference.Seed, engine.Predict(With("distance", distance + 1), options).Seed);
        Assert.NotEqual(reference.Seed, engine.Predict(With("departure", departure.AddTicks(10)), options).Seed);
        var otherDestination = pipeline.Test.Select(r => (string)r.Fields["destination"]!).First(d => d != (string)flight["destination"]!);
        Assert.NotEqual(reference.Seed, engine.Predict(With("destination", otherDestination), options).Seed);
    }

    /// <summary>
    /// 6 requests that differ only in distance (a model input, not a query key: every query selects the same rows) get 6
    /// different seeds and, at a fixed 5% fraction, 6 different samples of the all-flights and origin 30-day queries, while their
    /// exact features agree and a resend of one gives the same sample again.
    /// </summary>
    [Fact]
    public void Requests_that_select_the_same_rows_get_different_seeds_and_different_samples()
    {
        var engine = pipeline.Engine;
        var flight = pipeline.Test[5].ToRequest();
        var distance = (double)flight["distance"]!;
        var options = new PredictOptions { FixedFraction = 0.05 };
        var results = Enumerable.Range(0, 6)
            .Select(k => engine.Predict(new Dictionary<string, object?>(flight) { ["distance"] = distance + k }, options))
            .ToArray();

        Assert.Equal(6, results.Select(r => r.Seed).Distinct().Count());
        foreach (var feature in new[] { "all_30d_avg_delay", "all_30d_std_delay", "origin_30d_avg_delay" })
        {
            var values = results.Select(r => r.Features.Single(f => f.Name == feature).Value).ToArray();
            Assert.True(values.Distinct().Count() == 6, $"{feature}: [{string.Join(", ", values)}] repeats a sample");
        }

        var scanned = results.Select(r => r.Queries.Single(q => q.Name == "all_30d").RowsScanned).ToArray();
        Assert.True(scanned.Distinct().Count() >= 5, $"all_30d read [{string.Join(", ", scanned)}] rows");

        var exact = Enumerable.Range(0, 2)
            .Select(k => engine.PredictExact(new Dictionary<string, object?>(flight) { ["distance"] = distance + k }))
            .ToArray();
        foreach (var (a, b) in exact[0].Features.Zip(exact[1].Features).Where(p => p.First.Name != "distance"))
        {
            // Read in different orders, the same rows sum to the same value up to rounding.
            Assert.Equal(a.Value, b.Value, 9);
        }
        AssertSameResult(results[0], engine.Predict(new Dictionary<string, object?>(flight) { ["distance"] = distance }, options));
    }

    /// <summary>
    /// A spec with two queries over the same rows (all flights, 30 days; the input slot of STD(delay) takes the twin's
    /// AVG(delay), so the model still sees 12 inputs and the tables keep their layouts): at a fixed 5% fraction, 5 requests each read different partitions for the two, so their AVG(delay)
    /// estimates and row counts differ, while read exactly they agree.
    /// </summary>
    [Fact]
    public void Two_queries_of_one_request_over_the_same_rows_read_different_partitions()
    {
        using var variant = new FlightDelayVariant(pipeline, spec =>
        {
            spec["queries"]!.AsArray().Add(JsonNode.Parse("""
                {
                  "name": "all_30d_twin", "table": "flights",
                  "window": { "field": "departure", "from": "-30d", "to": "-1h" },
                  "aggregates": [ { "name": "all_30d_twin_avg_delay", "op": "avg", "column": "delay" } ]
                }
                """));
            var inputs = spec["inputs"]!.AsArray();
            var slot = inputs.Select(i => (string)i!).ToList().IndexOf("all_30d_std_delay");
            inputs[slot] = "all_30d_twin_avg_delay";
        });
        var engine = variant.Engine;
        foreach (var request in pipeline.Test.Skip(30).Take(5).Select(r => r.ToRequest()))
        {
            var sampled = engine.Predict(request, new PredictOptions { FixedFraction = 0.05 });
            var (avg, twinAvg) = (Feature(sampled, "all_30d_avg_delay"), Feature(sampled, "all_30d_twin_avg_delay"));
            Assert.True(avg != twinAvg, $"both queries estimate AVG(delay) = {avg}: they read the same partitions");
            Assert.NotEqual(
                sampled.Queries.Single(q => q.Name == "all_30d").RowsScanned,
                sampled.Queries.Single(q => q.Name == "all_30d_twin").RowsScanned);

            var exact = engine.PredictExact(request);
            Assert.Equal(Feature(exact, "all_30d_avg_delay"), Feature(exact, "all_30d_twin_avg_delay"), 9);
        }
    }

    /// <summary>
    /// The ablation policy <c>"random"</c> draws its choices too, so they must come from the request's seed: 6 requests
    /// with the shortcut off and a tight δ (so the budget is handed out over 12 rounds) replay identically after 10
    /// other requests on the same engine.
    /// </summary>
    [Fact]
    public void Under_the_random_plan_policy_a_request_replays_identically_after_other_requests()
    {
        using var variant = new FlightDelayVariant(pipeline, FlightDelayVariant.Planner("policy", "random"));
        var engine = variant.Engine;
        var options = new PredictOptions { ExactShortcut = false, MaxRounds = 12, Delta = 0.01 };
        var requests = pipeline.Test.Take(6).Select(r => r.ToRequest()).ToArray();
        var first = requests.Select(r => engine.Predict(r, options)).ToArray();
        foreach (var other in pipeline.Test.Skip(50).Take(10))
        {
            engine.Predict(other.ToRequest(), options);
        }

        var second = requests.Select(r => engine.Predict(r, options)).ToArray();
        for (var i = 0; i < first.Length; i++)
        {
            Assert.False(first[i].DependsOnMeasuredCosts);
            AssertSameResult(first[i], second[i]);
        }
    }

    private static double Feature(PredictionResult result, string name) => result.Features.Single(f => f.Name == name).Value;

    /// <summary>Sends <paramref name="count"/> held-out requests from <paramref name="from"/> on, two at a time, cycling through every serving mode.</summary>
    private void RunTraffic(BiathlonEngine engine, int from, int count)
    {
        var requests = pipeline.Test.Skip(from).Take(count).ToArray();
        Assert.Equal(count, requests.Length);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var request = requests[i].ToRequest();
            _ = (i % 4) switch
            {
                0 => engine.Predict(request),
                1 => engine.PredictExact(request),
                2 => engine.Predict(request, new PredictOptions { FixedFraction = 0.1 }),
                _ => engine.Predict(request, new PredictOptions { ExactShortcut = false, Delta = 0.5, MaxRounds = 12 }),
            };
        });
    }

    /// <summary>True when two results agree in every field but the timings.</summary>
    private static bool Same(PredictionResult a, PredictionResult b) =>
        a.Value.Equals(b.Value) && a.ValueKind == b.ValueKind && a.BoundKind == b.BoundKind && a.Delta.Equals(b.Delta)
        && a.RequestedDelta.Equals(b.RequestedDelta) && a.Tau.Equals(b.Tau) && a.Confidence.Equals(b.Confidence)
        && a.ErrorAtTau.Equals(b.ErrorAtTau) && a.MeetsBound == b.MeetsBound && a.IsExact == b.IsExact && a.StopReason == b.StopReason
        && a.Rounds == b.Rounds && a.TookExactShortcut == b.TookExactShortcut && a.DependsOnMeasuredCosts == b.DependsOnMeasuredCosts
        && a.Seed == b.Seed && a.Queries.SequenceEqual(b.Queries) && a.Features.SequenceEqual(b.Features);

    /// <summary>Asserts two results agree in every field but the timings (NaN equals NaN), naming the first that differs.</summary>
    private static void AssertSameResult(PredictionResult a, PredictionResult b)
    {
        Assert.Equal(a.Seed, b.Seed);
        Assert.Equal(a.StopReason, b.StopReason);
        Assert.Equal(a.Rounds, b.Rounds);
        Assert.Equal(a.Queries, b.Queries);
        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Value, b.Value);
        Assert.Equal(a.ValueKind, b.ValueKind);
        Assert.Equal(a.Confidence, b.Confidence);
        Assert.Equal(a.ErrorAtTau, b.ErrorAtTau);
        Assert.Equal(a.Delta, b.Delta);
        Assert.True(Same(a, b), "the results differ in a field not compared above");
    }
}
