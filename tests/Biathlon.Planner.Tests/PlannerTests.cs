using Biathlon.Planner.Planning;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;

namespace Biathlon.Planner.Tests;

public sealed class PlannerTests
{
    private static readonly PlanSettings s_settings = new(totalPartitions: 100);

    private static QueryPlanState Query(int partitions, double s1, double slope = 1, long rows = 10_000, bool sampleable = true) => new()
    {
        Partitions = partitions,
        Sampleable = sampleable,
        FirstOrderIndex = s1,
        CostSlope = slope,
        RowsRead = rows,
        EstimatedRows = double.NaN,
    };

    [Fact]
    public void A_query_with_no_influence_is_never_widened_while_another_has_some()
    {
        var policy = new SensitivityPlanPolicy();
        var rng = new Random(17);
        for (var trial = 0; trial < 2000; trial++)
        {
            var queries = new QueryPlanState[rng.Next(2, 8)];
            for (var q = 0; q < queries.Length; q++)
            {
                queries[q] = Query(rng.Next(5, 99), rng.Next(3) == 0 ? 0 : rng.NextDouble(), slope: rng.NextDouble() * 10);
            }

            queries[rng.Next(queries.Length)].FirstOrderIndex = 0.5; // at least one influential query
            var next = new int[queries.Length];
            policy.Plan(queries, s_settings, next);
            for (var q = 0; q < queries.Length; q++)
            {
                if (queries[q].FirstOrderIndex <= 0)
                {
                    Assert.Equal(queries[q].Partitions, next[q]);
                }
            }

            Assert.True(next.Sum() > queries.Sum(x => x.Partitions), "the budget must be spent");
        }
    }

    [Fact]
    public void The_budget_goes_to_the_best_influence_per_cost_first()
    {
        var queries = new[] { Query(5, 0.2, slope: 1), Query(5, 0.4, slope: 10), Query(5, 0.3, slope: 0.5) };
        var next = new int[3];
        new SensitivityPlanPolicy().Plan(queries, new PlanSettings(totalPartitions: 100, stepBudget: 3), next);
        // Priorities 0.2/0.95, 0.4/9.5, 0.3/0.475: the third wins the whole budget.
        Assert.Equal([5, 5, 8], next);
    }

    [Fact]
    public void The_minimum_support_jump_fires_on_small_groups()
    {
        var next = new int[4];
        var queries = new[]
        {
            Query(5, 0.9) with { EstimatedRows = 40 },      // needs 75%: at 5% it jumps to 50%
            Query(5, 0.9) with { EstimatedRows = 12 },      // smaller than the support: exact
            Query(20, 0.9) with { EstimatedRows = 100 },    // needs 30%: to 30%
            Query(5, 0.9, rows: 0),                         // nothing seen, no estimate: doubles
        };
        new SensitivityPlanPolicy().Plan(queries, s_settings, next);
        Assert.Equal([50, 100, 30, 10], next);

        // Without a size estimate the rows read give it: 3 rows at 5% → 60 rows → needs 50% → jump to 50%.
        var fromRows = new int[1];
        new SensitivityPlanPolicy().Plan([Query(5, 0.9, rows: 3)], s_settings, fromRows);
        Assert.Equal(50, fromRows[0]);
    }

    [Fact]
    public void A_zero_cost_slope_gives_a_finite_plan_not_NaN()
    {
        var next = new int[3];
        new SensitivityPlanPolicy().Plan([Query(10, 0.3, slope: 0), Query(10, 0.6, slope: 0), Query(10, 0.1, slope: 2)], s_settings, next);
        Assert.Equal([10, 13, 10], next);
    }

    [Fact]
    public void Plans_stay_on_the_partition_grid_never_shrink_and_never_pass_P()
    {
        var rng = new Random(3);
        IPlanPolicy[] policies = [new SensitivityPlanPolicy(), new UniformPlanPolicy(), new RandomPlanPolicy(5)];
        foreach (var policy in policies)
        {
            for (var trial = 0; trial < 3000; trial++)
            {
                var p = rng.Next(1, 200);
                var settings = new PlanSettings(totalPartitions: p, stepBudget: rng.Next(0, 10), roundOverheadSeconds: rng.Next(2) * rng.NextDouble());
                var queries = new QueryPlanState[rng.Next(1, 6)];
                for (var q = 0; q < queries.Length; q++)
                {
                    var state = Query(rng.Next(1, p + 1), rng.NextDouble() - 0.2, slope: rng.NextDouble(), rows: rng.Next(0, 5000), sampleable: rng.Next(4) > 0);
                    state.EstimatedRows = rng.Next(2) == 0 ? double.NaN : rng.Next(0, 10_000);
                    queries[q] = state;
                }

                var next = new int[queries.Length];
                policy.Plan(queries, settings, next);
                for (var q = 0; q < queries.Length; q++)
                {
                    Assert.InRange(next[q], Math.Max(1, queries[q].Partitions), p);
                    if (!queries[q].Sampleable)
                    {
                        Assert.Equal(queries[q].Partitions, next[q]);
                    }
                }
            }
        }
    }

    [Fact]
    public void When_finishing_is_cheaper_than_a_round_the_plan_goes_exact()
    {
        var queries = new[] { Query(90, 0.5, slope: 0.001), Query(95, 0.2, slope: 0.002) };
        var next = new int[2];
        new SensitivityPlanPolicy().Plan(queries, new PlanSettings(totalPartitions: 100, roundOverheadSeconds: 0.001), next);
        Assert.Equal([100, 100], next);

        new SensitivityPlanPolicy().Plan(queries, new PlanSettings(totalPartitions: 100, roundOverheadSeconds: 0.00001), next);
        Assert.Equal([92, 95], next);
    }

    [Fact]
    public void Uniform_and_random_policies_spend_exactly_the_budget()
    {
        var queries = new[] { Query(10, 0.9), Query(10, 0), Query(99, 0.1), Query(10, 0, sampleable: false) };
        var uniform = new int[4];
        new UniformPlanPolicy().Plan(queries, new PlanSettings(totalPartitions: 100, stepBudget: 5), uniform);
        Assert.Equal([12, 12, 100, 10], uniform);

        var random = new int[4];
        new RandomPlanPolicy(1).Plan(queries, new PlanSettings(totalPartitions: 100, stepBudget: 5), random);
        Assert.Equal(5, random.Sum() - queries.Sum(q => q.Partitions));
        Assert.Equal(10, random[3]);
    }

    [Fact]
    public void The_cost_model_recovers_a_line_and_keeps_its_coefficients_non_negative()
    {
        double[] z = [0.1, 0.2, 0.5, 0.8, 1.0];
        var exact = LinearCostModel.Fit(z, z.Select(f => 0.004 * f + 0.0002).ToArray());
        Assert.Equal(0.004, exact.Slope, 9);
        Assert.Equal(0.0002, exact.Intercept, 9);

        var decreasing = LinearCostModel.Fit(z, z.Select(f => 1 - 0.5 * f).ToArray());
        Assert.Equal(0, decreasing.Slope);
        Assert.True(decreasing.Intercept > 0);

        var negativeIntercept = LinearCostModel.Fit(z, z.Select(f => 2 * f - 0.15).ToArray());
        Assert.Equal(0, negativeIntercept.Intercept);
        Assert.True(negativeIntercept.Slope > 0);

        Assert.Equal("fractions[1]", Assert.Throws<ConfigurationException>(() => LinearCostModel.Fit([0.5, 1.5], [1, 2])).Option);
        Assert.Equal("seconds[0]", Assert.Throws<ConfigurationException>(() => LinearCostModel.Fit([0.5], [double.NaN])).Option);
        Assert.Equal("fractions", Assert.Throws<ConfigurationException>(() => LinearCostModel.Fit([], [])).Option);
    }

    [Fact]
    public void Termination_reports_why_it_stopped()
    {
        var rule = new TerminationRule(ErrorBound.Absolute(1, 0.95), maxRounds: 3, timeBudget: TimeSpan.FromMilliseconds(50));
        var met = new PropagationResult { Confidence = 0.97 };
        var unmet = new PropagationResult { Confidence = 0.5 };
        Assert.Equal(StopReason.AllExact, rule.Check(unmet, allExact: true, 1, TimeSpan.Zero));
        Assert.Equal(StopReason.BoundMet, rule.Check(met, false, 1, TimeSpan.Zero));
        Assert.Equal(StopReason.Deadline, rule.Check(unmet, false, 1, TimeSpan.FromMilliseconds(60)));
        Assert.Equal(StopReason.MaxRounds, rule.Check(unmet, false, 3, TimeSpan.Zero));
        Assert.Equal(StopReason.None, rule.Check(unmet, false, 2, TimeSpan.Zero));
        Assert.Equal(StopReason.None, rule.Check(new PropagationResult { IsIndeterminate = true, Confidence = 1 }, false, 1, TimeSpan.Zero));
        Assert.Equal("maxRounds", Assert.Throws<ConfigurationException>(() => new TerminationRule(ErrorBound.Absolute(1, 0.9), 0)).Option);
        Assert.Equal("totalPartitions", Assert.Throws<ConfigurationException>(() => new PlanSettings(totalPartitions: 0)).Option);
    }
}
