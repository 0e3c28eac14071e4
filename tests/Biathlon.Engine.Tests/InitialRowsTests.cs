using System.Text.Json.Nodes;
using Biathlon.Planner.Planning;

namespace Biathlon.Engine.Tests;

/// <summary>
/// <c>planner.initialRows</c>: a sampled query whose window is large starts from the fewest partitions expected to hold
/// that many rows (the fraction initialRows ÷ its rows, rounded up to whole partitions), not from the initial fraction; every other query starts from the fraction. Real Flight-Delay (P =
/// 100, α = 5 %, 3 M flights), held-out June requests, one round, the exact shortcut off so that no cost decision
/// reads a query completely; the counts are stated per test.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class InitialRowsTests(FlightDelayFixture pipeline)
{
    private static readonly PredictOptions s_firstRoundOnly = new() { ExactShortcut = false, MaxRounds = 1 };

    /// <summary>6 requests with the shipped default (5,000 rows).</summary>
    [Fact]
    public void Large_windows_start_from_the_fewest_partitions_expected_to_hold_the_initial_rows_on_6_requests()
    {
        var enough = pipeline.Engine.Definition.Planner.InitialRows;
        Assert.Equal(5000, enough);
        var reduced = 0;
        foreach (var request in Requests(6))
        {
            var result = pipeline.Engine.Predict(request, s_firstRoundOnly);
            foreach (var query in result.Queries)
            {
                var expected = Math.Min(5, (int)Math.Ceiling(enough * 100.0 / query.EstimatedRows));
                Assert.Equal(expected / 100.0, query.Fraction, 12);
                if (expected < 5)
                {
                    reduced++;

                    // Rows go to the 100 partitions at random, so the planned ones hold at least the rows asked for
                    // but for a binomial shortfall of a few √5000 ≈ 71 (census rows, read by every request, add to it).
                    Assert.True(query.RowsMatched >= enough - 500, $"{query.Name}: {query.RowsMatched} rows read");
                }
            }

            var all30d = result.Queries.Single(q => q.Name == "all_30d");
            Assert.True(all30d.Fraction < 0.05, $"all_30d ({all30d.EstimatedRows} rows) started at {all30d.Fraction}");
            Assert.Equal(0.05, result.Queries.Single(q => q.Name == "origin_30d").Fraction, 12);
        }

        Assert.True(reduced >= 6, $"only {reduced} queries started below the initial fraction");
    }

    /// <summary>2 requests: an initial fraction of 1 asks for every query complete from the start, large windows included.</summary>
    [Fact]
    public void An_initial_fraction_of_1_starts_every_query_complete_on_2_requests()
    {
        using var complete = new FlightDelayVariant(pipeline, FlightDelayVariant.Planner("initialFraction", 1.0));
        foreach (var request in Requests(2))
        {
            var result = complete.Engine.Predict(request, s_firstRoundOnly);
            Assert.Equal(StopReason.AllExact, result.StopReason);
            Assert.All(result.Queries, q => Assert.Equal(1.0, q.Fraction, 12));
        }
    }

    /// <summary>3 requests: <c>initialRows: 0</c> restores the fraction for every query; so does a fixed fraction.</summary>
    [Fact]
    public void Zero_initial_rows_or_a_fixed_fraction_start_every_query_from_the_fraction_on_3_requests()
    {
        using var off = new FlightDelayVariant(pipeline, FlightDelayVariant.Planner("initialRows", 0));
        Assert.Equal(0, off.Engine.Definition.Planner.InitialRows);
        foreach (var request in Requests(3))
        {
            Assert.All(off.Engine.Predict(request, s_firstRoundOnly).Queries, q => Assert.Equal(0.05, q.Fraction, 12));
            Assert.All(
                pipeline.Engine.Predict(request, new PredictOptions { FixedFraction = 0.05 }).Queries,
                q => Assert.Equal(0.05, q.Fraction, 12));
        }
    }

    /// <summary>3 requests: a filter's pass rate is unknown before the first read, so a filtered query keeps the fraction.</summary>
    [Fact]
    public void A_filtered_query_starts_from_the_fraction_on_3_requests()
    {
        using var filtered = new FlightDelayVariant(pipeline, spec =>
        {
            var all30d = spec["queries"]!.AsArray().Single(q => (string)q!["name"]! == "all_30d")!;
            all30d["filters"] = new JsonArray(new JsonObject { ["column"] = "distance", ["op"] = ">", ["value"] = 0 });
        });
        foreach (var request in Requests(3))
        {
            var result = filtered.Engine.Predict(request, s_firstRoundOnly);
            Assert.Equal(0.05, result.Queries.Single(q => q.Name == "all_30d").Fraction, 12);
        }
    }

    private IEnumerable<Dictionary<string, object?>> Requests(int count) =>
        pipeline.Test.Take(count).Select(r => r.ToRequest());
}
