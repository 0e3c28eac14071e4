using Biathlon.Engine.Runtime;

namespace Biathlon.Engine.Tests;

/// <summary>The lock-free cost averages keep their semantics: the first observation replaces the default, later ones blend in with weight 0.1, and nothing is trusted before warm-up.</summary>
public sealed class CostStatisticsTests
{
    [Fact]
    public void Averages_start_at_their_first_observation_and_then_blend_with_weight_one_tenth()
    {
        var costs = new CostStatistics(2);
        Assert.Equal(1e-9, costs.SecondsPerRow(0));
        costs.ObserveRows(0, 100, 1.0); // under 256 rows: ignored
        Assert.Equal(1e-9, costs.SecondsPerRow(0));
        costs.ObserveRows(0, 1000, 2e-3);
        Assert.Equal(2e-6, costs.SecondsPerRow(0));
        costs.ObserveRows(0, 1000, 4e-3);
        Assert.Equal(2e-6 + 0.1 * (4e-6 - 2e-6), costs.SecondsPerRow(0));

        costs.SeedSecondsPerRow(1, 5e-8);
        costs.ObserveRows(1, 1000, 1.5e-4);
        Assert.Equal(5e-8 + 0.1 * (1.5e-7 - 5e-8), costs.SecondsPerRow(1)); // a seeded average blends from its seed
        Assert.Equal(5e-8, costs.PrioritySecondsPerRow(1));

        for (var i = 0; i < 5; i++)
        {
            costs.ObserveRound(0.5);
        }

        Assert.Equal(0.5, costs.RoundSeconds);
    }

    [Fact]
    public void Cost_decisions_wait_for_warm_up()
    {
        var costs = new CostStatistics(1);
        long[] rows = [1000];
        int[] initial = [1];
        for (var i = 0; i < CostStatistics.WarmUp - 1; i++)
        {
            costs.ObserveRound(1);
            costs.ObserveSingleRow(1e-6);
        }

        Assert.False(costs.ExactIsCheaper(rows, initial, 100));
        int[] plan = [1];
        costs.StartCheapQueriesExact(rows, plan, 100);
        Assert.Equal(1, plan[0]);

        costs.ObserveRound(1);
        costs.ObserveSingleRow(1e-6);
        Assert.True(costs.ExactIsCheaper(rows, initial, 100));
        costs.StartCheapQueriesExact(rows, plan, 100);
        Assert.Equal(100, plan[0]);
    }

    /// <summary>8 threads × 20,000 observations of one value after a different start: no update is torn or lost into a value outside the two.</summary>
    [Fact]
    public void Concurrent_observations_leave_an_average_between_the_values_observed()
    {
        var costs = new CostStatistics(1);
        costs.Calibrate(1, 1);
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                costs.ObserveRound(2);
                costs.ObserveRows(0, 1000, 1e-3);
            }
        });

        Assert.InRange(costs.RoundSeconds, 1.999999, 2);
        Assert.InRange(costs.SecondsPerRow(0), 1e-6 * 0.999999, 1e-6 * 1.000001);
    }
}
