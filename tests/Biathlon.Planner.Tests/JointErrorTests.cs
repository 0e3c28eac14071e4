using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Planner.Tests;

/// <summary>
/// Features of one query are drawn jointly: their normal scores are correlated by the group's correlation matrix
/// (a Gaussian copula) and each is then mapped through its own error distribution.
/// </summary>
public sealed class JointErrorTests
{
    private static readonly ErrorBound s_bound = ErrorBound.Absolute(0.5, 0.95);

    [Theory]
    [InlineData(0.9)]
    [InlineData(-0.6)]
    [InlineData(0.0)]
    public void A_difference_of_correlated_features_has_variance_two_minus_two_rho(double rho)
    {
        var features = new[] { FeatureEstimate.Normal(10, 1), FeatureEstimate.Normal(4, 1) };
        var propagator = new UncertaintyPropagator([0, 0], new PropagationOptions(baseSamples: 1024));
        var result = propagator.Propagate(features, new LinearModel([1, -1]), PredictionTask.Regression, s_bound, 5, Matrix(2, (0, 1, rho)));
        var expected = 2 - 2 * rho;
        Assert.InRange(result.Variance, expected * 0.93 - 0.01, expected * 1.07 + 0.01);
        Assert.Equal(6, result.Prediction, 1);
    }

    [Fact]
    public void Correlations_across_groups_are_ignored()
    {
        var features = new[] { FeatureEstimate.Normal(0, 1), FeatureEstimate.Normal(0, 1) };
        var propagator = new UncertaintyPropagator([0, 1], new PropagationOptions(baseSamples: 256));
        var model = new LinearModel([1, 1]);
        propagator.Propagate(features, model, PredictionTask.Regression, s_bound, 9);
        var independent = propagator.Outputs.ToArray();
        propagator.Propagate(features, model, PredictionTask.Regression, s_bound, 9, Matrix(2, (0, 1, 0.99)));
        Assert.Equal(independent, propagator.Outputs.ToArray());
    }

    [Fact]
    public void Joint_draws_keep_each_features_own_distribution()
    {
        // Two normal features and an asymmetric empirical one (a quantile's order-statistics grid) in one group,
        // strongly correlated: every column's median and quartiles stay those of its own error distribution.
        var grid = Enumerable.Range(0, 64).Select(k => 100.0 + k * (k < 32 ? 0.5 : 2.0)).ToArray();
        var quantile = FeatureEstimate.Empirical(116, grid);
        var features = new[] { FeatureEstimate.Normal(5, 2), quantile, FeatureEstimate.Normal(-3, 0.1) };
        var propagator = new UncertaintyPropagator([0, 0, 0], new PropagationOptions(baseSamples: 4096));
        propagator.Propagate(features, new LinearModel([1, 0, 0]), PredictionTask.Regression, s_bound, 3,
            Matrix(3, (0, 1, 0.8), (0, 2, -0.5), (1, 2, -0.4)));
        var rows = propagator.Rows;
        for (var j = 0; j < 3; j++)
        {
            var column = Enumerable.Range(0, 4096).Select(i => (double)propagator.Inputs[j * rows + i]).Order().ToArray();
            foreach (var level in new[] { 0.25, 0.5, 0.75 })
            {
                var expected = features[j].ValueAtLevel(level);
                var tolerance = j == 1 ? 2.0 : 0.02 * Math.Max(1, Math.Abs(expected)) + 0.05 * features[j].StdError;
                Assert.InRange(column[(int)(level * 4096)], expected - tolerance, expected + tolerance);
            }
        }

        // and they move together: the A rows of features 0 and 1 are rank-correlated
        var a0 = Enumerable.Range(0, 4096).Select(i => (double)propagator.Inputs[i]).ToArray();
        var a1 = Enumerable.Range(0, 4096).Select(i => (double)propagator.Inputs[rows + i]).ToArray();
        Assert.True(Statistics.Pearson(a0, a1) > 0.6, $"correlation {Statistics.Pearson(a0, a1)}");
    }

    [Fact]
    public void A_matrix_that_is_not_positive_definite_is_shrunk_not_rejected()
    {
        var features = new[] { FeatureEstimate.Normal(0, 1), FeatureEstimate.Normal(0, 1), FeatureEstimate.Normal(0, 1) };
        var propagator = new UncertaintyPropagator([0, 0, 0], new PropagationOptions(baseSamples: 512));
        var result = propagator.Propagate(features, new LinearModel([1, 1, 1]), PredictionTask.Regression, s_bound, 2,
            Matrix(3, (0, 1, -0.9), (0, 2, -0.9), (1, 2, -0.9)));
        Assert.True(double.IsFinite(result.Variance) && result.Variance >= 0);
        Assert.Equal("correlations", Assert.Throws<QueryException>(() =>
            propagator.Propagate(features, new LinearModel([1, 1, 1]), PredictionTask.Regression, s_bound, 2, new double[4])).Field);
    }

    private static double[] Matrix(int d, params (int I, int J, double R)[] entries)
    {
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            m[i * d + i] = 1;
        }

        foreach (var (i, j, r) in entries)
        {
            m[i * d + j] = r;
            m[j * d + i] = r;
        }

        return m;
    }
}
