using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Numerics;
using Biathlon.Sampling.Queries;

namespace Biathlon.Planner.Tests;

public sealed class PropagationTests
{
    private static readonly ErrorBound s_bound = ErrorBound.Absolute(1.0, 0.95);

    /// <summary>U(−π, π) as an empirical distribution: the midpoints of 4,096 equal-probability cells.</summary>
    private static FeatureEstimate UniformPlusMinusPi()
    {
        var values = new double[4096];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = -Math.PI + 2 * Math.PI * (i + 0.5) / values.Length;
        }

        return FeatureEstimate.Empirical(0, values);
    }

    [Fact]
    public void Ishigami_first_order_indices_match_the_analytic_values_within_0_03_at_N_4096()
    {
        var propagator = new UncertaintyPropagator([0, 1, 2], new PropagationOptions(baseSamples: 4096));
        var x = UniformPlusMinusPi();
        propagator.Propagate([x, x, x], new IshigamiModel(), PredictionTask.Regression, s_bound, 1);
        var s1 = propagator.FirstOrderIndices;
        Assert.InRange(s1[0], 0.3139 - 0.03, 0.3139 + 0.03);
        Assert.InRange(s1[1], 0.4424 - 0.03, 0.4424 + 0.03);
        Assert.InRange(s1[2], 0.0 - 0.03, 0.0 + 0.03);
    }

    [Fact]
    public void Linear_model_variance_matches_w_sigma_w_within_5pct_and_confidence_the_normal_cdf_within_0_02()
    {
        double[] w = [1.5, -2, 0.5, 3];
        double[] sd = [1, 0.5, 2, 0.1];
        double[] value = [10, -3, 4, 7];
        var features = value.Select((v, j) => FeatureEstimate.Normal(v, sd[j])).ToArray();
        var propagator = new UncertaintyPropagator([0, 1, 2, 3], new PropagationOptions(baseSamples: 1024));
        var truthVariance = w.Select((wj, j) => wj * wj * sd[j] * sd[j]).Sum();
        var delta = 1.2;
        var result = propagator.Propagate(features, new LinearModel(w, bias: 1), PredictionTask.Regression, ErrorBound.Absolute(delta, 0.95), 1);

        Assert.InRange(result.Variance, truthVariance * 0.95, truthVariance * 1.05);
        Assert.Equal(1 + w.Select((wj, j) => wj * value[j]).Sum(), result.Prediction, 2);
        var expectedConfidence = 2 * NormalDistribution.Cdf(delta / Math.Sqrt(truthVariance)) - 1;
        Assert.InRange(result.Confidence, expectedConfidence - 0.02, expectedConfidence + 0.02);
        Assert.Equal(propagator.BaseSamples * 6, result.ModelRows);

        // For a linear model S1_j = w_j² σ_j² / Var(y).
        for (var j = 0; j < w.Length; j++)
        {
            Assert.InRange(propagator.FirstOrderIndices[j], w[j] * w[j] * sd[j] * sd[j] / truthVariance - 0.05, w[j] * w[j] * sd[j] * sd[j] / truthVariance + 0.05);
        }
    }

    [Fact]
    public void Error_at_confidence_and_relative_bounds_match_the_normal_quantiles()
    {
        double[] w = [2, 1];
        var features = new[] { FeatureEstimate.Normal(5, 1), FeatureEstimate.Normal(2, 1.5) };
        var sigma = Math.Sqrt(4 * 1 + 1 * 2.25);
        var propagator = new UncertaintyPropagator([0, 1], new PropagationOptions(baseSamples: 1024));
        var model = new LinearModel(w);

        var atConfidence = propagator.Propagate(features, model, PredictionTask.Regression, ErrorBound.AtConfidence(0.9, 10), 1);
        Assert.InRange(atConfidence.ErrorAtTau, NormalDistribution.InverseCdf(0.95) * sigma * 0.95, NormalDistribution.InverseCdf(0.95) * sigma * 1.05);

        // The confidence reported is the achieved share within the requested δ = 10 (≈ 1 here), never τ copied back.
        Assert.Equal(10, atConfidence.Delta);
        Assert.InRange(atConfidence.Confidence, 2 * NormalDistribution.Cdf(10 / sigma) - 1 - 0.01, 1);
        var tight = propagator.Propagate(features, model, PredictionTask.Regression, ErrorBound.AtConfidence(0.9, 1), 2);
        Assert.InRange(tight.Confidence, 2 * NormalDistribution.Cdf(1 / sigma) - 1 - 0.03, 2 * NormalDistribution.Cdf(1 / sigma) - 1 + 0.03);
        Assert.True(ErrorBound.AtConfidence(0.9, 10).IsMet(atConfidence));
        Assert.False(ErrorBound.AtConfidence(0.9, 1).IsMet(atConfidence));

        var relative = propagator.Propagate(features, model, PredictionTask.Regression, ErrorBound.Relative(0.2, 0.95), 1);
        Assert.Equal(0.2 * 12, relative.Delta, 1);
        Assert.True(double.IsNaN(relative.ErrorAtTau));
        Assert.InRange(relative.Confidence, 2 * NormalDistribution.Cdf(2.4 / sigma) - 1 - 0.02, 2 * NormalDistribution.Cdf(2.4 / sigma) - 1 + 0.02);
    }

    [Fact]
    public void Grouped_features_share_one_index_and_exact_groups_have_none()
    {
        double[] w = [1, 1, 1];
        var features = new[] { FeatureEstimate.Normal(0, 1), FeatureEstimate.Normal(0, 1), FeatureEstimate.Exact(3) };
        var propagator = new UncertaintyPropagator([0, 0, 1]);
        var result = propagator.Propagate(features, new LinearModel(w), PredictionTask.Regression, s_bound, 1);
        Assert.Equal(2, propagator.Groups);
        Assert.Equal(128 * 3, result.ModelRows); // A, B and one AB block: the exact group gets none
        Assert.InRange(propagator.FirstOrderIndices[0], 0.9, 1.1);
        Assert.Equal(0, propagator.FirstOrderIndices[1]);
    }

    [Fact]
    public void A_decision_far_from_the_boundary_is_certain_in_one_round_and_one_near_it_is_not()
    {
        var propagator = new UncertaintyPropagator([0, 1]);
        var classifier = new ThresholdClassifier([1, 1], threshold: 0);
        var bound = ErrorBound.Absolute(0, 0.95);
        var far = propagator.Propagate([FeatureEstimate.Normal(20, 1), FeatureEstimate.Normal(15, 2)], classifier, PredictionTask.Classification, bound, 1);
        Assert.Equal(1, far.Prediction);
        Assert.Equal(1, far.Confidence);
        Assert.True(bound.IsMet(far));
        Assert.Equal(0, propagator.FirstOrderIndices[0]);

        var near = propagator.Propagate([FeatureEstimate.Normal(0.2, 1), FeatureEstimate.Normal(-0.1, 2)], classifier, PredictionTask.Classification, bound, 1);
        Assert.True(near.Confidence < 0.95, $"confidence {near.Confidence}");
        Assert.False(bound.IsMet(near));
        Assert.True(propagator.FirstOrderIndices[1] > propagator.FirstOrderIndices[0], "the wider feature must matter more");
    }

    [Fact]
    public void Exact_features_give_an_exact_prediction()
    {
        var propagator = new UncertaintyPropagator([0, 1]);
        var result = propagator.Propagate([FeatureEstimate.Exact(2), FeatureEstimate.Exact(3)], new LinearModel([1, 2]), PredictionTask.Regression, s_bound, 1);
        Assert.Equal(8, result.Prediction, 6);
        Assert.Equal(0, result.Variance, 9);
        Assert.Equal(1, result.Confidence);
    }

    [Fact]
    public void An_empirical_error_is_sampled_through_its_sorted_inverse_cdf()
    {
        // A two-valued distribution: half the rows must get each value, by stratification of the Sobol' points.
        var propagator = new UncertaintyPropagator([0]);
        var feature = FeatureEstimate.Empirical(1, new double[] { 0, 0, 2, 2 });
        propagator.Propagate([feature], new LinearModel([1]), PredictionTask.Regression, s_bound, 1);
        var a = Enumerable.Range(0, 128).Select(i => propagator.Inputs[i]).ToArray();
        Assert.Equal(64, a.Count(v => v == 0));
        Assert.Equal(64, a.Count(v => v == 2));
    }

    [Fact]
    public void An_unknown_error_skips_the_model_and_reports_an_indeterminate_round()
    {
        var model = new LinearModel([1, 1]);
        var propagator = new UncertaintyPropagator([0, 1]);
        var layoutLess = UnknownEstimate();
        var result = propagator.Propagate([FeatureEstimate.Normal(1, 1), layoutLess], model, PredictionTask.Regression, s_bound, 1);
        Assert.True(result.IsIndeterminate);
        Assert.Equal(0, result.Confidence);
        Assert.Equal(0, model.Calls);
        Assert.False(s_bound.IsMet(result));
    }

    [Fact]
    public void A_round_allocates_nothing_after_warm_up()
    {
        var features = new[] { FeatureEstimate.Normal(1, 1), FeatureEstimate.Normal(2, 0.5), FeatureEstimate.Exact(3) };
        var propagator = new UncertaintyPropagator([0, 1, 2]);
        var model = new LinearModel([1, 2, 3]);
        var bound = ErrorBound.AtConfidence(0.95, 1);
        propagator.Propagate(features, model, PredictionTask.Regression, bound, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            propagator.Propagate(features, model, PredictionTask.Regression, bound, 1);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Bad_arguments_name_the_argument()
    {
        Assert.Equal("features", Assert.Throws<ConfigurationException>(() => new UncertaintyPropagator([])).Option);
        Assert.Equal("baseSamples", Assert.Throws<ConfigurationException>(() => new PropagationOptions(baseSamples: 100)).Option);
        Assert.Equal("baseSamples", Assert.Throws<ConfigurationException>(() => new PropagationOptions(baseSamples: 1)).Option);
        Assert.Equal("groupOfFeature", Assert.Throws<ConfigurationException>(() => new UncertaintyPropagator([0, 2])).Option);
        Assert.Equal("delta", Assert.Throws<ConfigurationException>(() => ErrorBound.Absolute(-0.1, 0.95)).Option);
        Assert.Equal("delta", Assert.Throws<ConfigurationException>(() => ErrorBound.Absolute(double.NaN, 0.95)).Option);
        Assert.Equal("tau", Assert.Throws<ConfigurationException>(() => ErrorBound.Absolute(1, 1)).Option);
        Assert.Equal("tau", Assert.Throws<ConfigurationException>(() => ErrorBound.Relative(0.1, 0)).Option);
        Assert.Equal("stdError", Assert.Throws<ArgumentOutOfRangeException>(() => FeatureEstimate.Normal(1, -1)).ParamName);

        var propagator = new UncertaintyPropagator([0, 1]);
        var nan = Assert.Throws<QueryException>(() =>
            propagator.Propagate([FeatureEstimate.Normal(1, 1), FeatureEstimate.Exact(double.NaN)], new LinearModel([1, 1]), PredictionTask.Regression, s_bound, 1));
        Assert.Equal("features[1]", nan.Field);
        Assert.Equal("model", Assert.Throws<QueryException>(() =>
            propagator.Propagate([FeatureEstimate.Exact(1), FeatureEstimate.Exact(1)], new LinearModel([1, 1, 1]), PredictionTask.Regression, s_bound, 1)).Field);
        Assert.Equal("features", Assert.Throws<QueryException>(() =>
            propagator.Propagate([FeatureEstimate.Exact(1)], new LinearModel([1, 1]), PredictionTask.Regression, s_bound, 1)).Field);
    }

    /// <summary>An estimate below the minimum support, produced the way the engine produces one: a real cursor over 3 rows at 1 of 2 partitions.</summary>
    private static FeatureEstimate UnknownEstimate()
    {
        var batch = new Apache.Arrow.RecordBatch.Builder()
            .Append("v", false, new Apache.Arrow.DoubleArray.Builder().AppendRange([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).Build())
            .Build();
        using var table = PartitionedTable.Build(Biathlon.Sampling.Ingest.ArrowTableReader.Read([batch], "tiny"), new TableOptions { Partitions = 2 });
        var layout = table.Layouts[0];
        var cursor = layout.OpenCursor(layout.Bind(new RowPredicate()), [AggregateSpec.Avg("v")]);
        cursor.WidenToPartitions(1);
        var estimate = cursor.Estimate(0);
        Assert.Equal(ErrorKind.Unknown, estimate.Error);
        return estimate;
    }
}
