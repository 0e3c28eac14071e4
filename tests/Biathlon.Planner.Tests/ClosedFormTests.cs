using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Estimators;

namespace Biathlon.Planner.Tests;

/// <summary>
/// An affine model with normal errors propagates in closed form (no design points); the closed form must agree with the
/// QMC design it replaces: prediction, variance, confidence, error at τ and S1, with correlated features in one group.
/// </summary>
public sealed class ClosedFormTests
{
    private static readonly double[] s_weights = [2, -1, 0.5, 3];

    [Theory]
    [InlineData(BoundKind.AbsoluteError)]
    [InlineData(BoundKind.RelativeError)]
    [InlineData(BoundKind.ErrorAtConfidence)]
    public void Closed_form_agrees_with_a_large_QMC_design(BoundKind kind)
    {
        var features = new[] { FeatureEstimate.Normal(1, 0.4), FeatureEstimate.Normal(3, 1), FeatureEstimate.Exact(5), FeatureEstimate.Normal(-2, 0.2) };
        int[] groups = [0, 0, 1, 2];
        var correlations = new double[16];
        for (var j = 0; j < 4; j++)
        {
            correlations[j * 4 + j] = 1;
        }

        correlations[1] = correlations[4] = 0.6; // features 0 and 1 share query 0
        var bound = kind switch
        {
            BoundKind.RelativeError => ErrorBound.Relative(0.1, 0.95),
            BoundKind.ErrorAtConfidence => ErrorBound.AtConfidence(0.9, 1),
            _ => ErrorBound.Absolute(1.5, 0.95),
        };
        var model = new AffineModel(s_weights, bias: 4);
        var closed = new UncertaintyPropagator(groups, new PropagationOptions(baseSamples: 128)).Propagate(
            features, model, PredictionTask.Regression, bound, 7, correlations);
        var qmcPropagator = new UncertaintyPropagator(groups, new PropagationOptions(baseSamples: 16384, closedForm: false));
        var qmc = qmcPropagator.Propagate(features, model, PredictionTask.Regression, bound, 7, correlations);

        Assert.Equal(0, closed.ModelRows);
        Assert.True(qmc.ModelRows > 0);
        // Var = (2·0.4)² + 1² + 2·0.6·(2·0.4)·(−1·1) + (3·0.2)² = 0.64 + 1 − 0.96 + 0.36 = 1.04
        Assert.Equal(1.04, closed.Variance, 9);
        Assert.Equal(4 + 2 - 3 + 2.5 - 6, closed.Prediction, 9);
        Assert.Equal(qmc.Prediction, closed.Prediction, 2);
        Assert.InRange(closed.Variance, qmc.Variance * 0.97, qmc.Variance * 1.03);
        Assert.InRange(closed.Confidence, qmc.Confidence - 0.01, qmc.Confidence + 0.01);
        Assert.Equal(qmc.Delta, closed.Delta, 2);
        if (kind == BoundKind.ErrorAtConfidence)
        {
            Assert.InRange(closed.ErrorAtTau, qmc.ErrorAtTau * 0.98, qmc.ErrorAtTau * 1.02);
        }
        else
        {
            Assert.True(double.IsNaN(closed.ErrorAtTau));
        }
    }

    [Fact]
    public void Closed_form_first_order_indices_are_each_groups_share_of_the_variance()
    {
        var features = new[] { FeatureEstimate.Normal(1, 0.4), FeatureEstimate.Normal(3, 1), FeatureEstimate.Exact(5), FeatureEstimate.Normal(-2, 0.2) };
        var closed = new UncertaintyPropagator([0, 0, 1, 2]);
        closed.Propagate(features, new AffineModel(s_weights), PredictionTask.Regression, ErrorBound.Absolute(1, 0.95), 1);
        var qmc = new UncertaintyPropagator([0, 0, 1, 2], new PropagationOptions(baseSamples: 16384, closedForm: false));
        qmc.Propagate(features, new AffineModel(s_weights), PredictionTask.Regression, ErrorBound.Absolute(1, 0.95), 1);

        // Independent features: group 0 holds (0.8² + 1²)/(0.64 + 1 + 0.36), group 2 the rest; the exact group none.
        Assert.Equal(1.64 / 2.0, closed.FirstOrderIndices[0], 9);
        Assert.Equal(0, closed.FirstOrderIndices[1]);
        Assert.Equal(0.36 / 2.0, closed.FirstOrderIndices[2], 9);
        for (var g = 0; g < 3; g++)
        {
            Assert.InRange(closed.FirstOrderIndices[g], qmc.FirstOrderIndices[g] - 0.03, qmc.FirstOrderIndices[g] + 0.03);
        }
    }

    [Fact]
    public void A_non_normal_error_or_a_model_that_is_not_affine_runs_the_design()
    {
        var skewed = new[] { FeatureEstimate.Normal(1, 0.4), FeatureEstimate.Empirical(3, new double[] { 2, 3, 4 }), FeatureEstimate.Exact(5), FeatureEstimate.Normal(-2, 0.2) };
        var propagator = new UncertaintyPropagator([0, 0, 1, 2]);
        Assert.True(propagator.Propagate(skewed, new AffineModel(s_weights), PredictionTask.Regression, ErrorBound.Absolute(1, 0.95), 1).ModelRows > 0);

        var normal = new[] { FeatureEstimate.Normal(1, 0.4), FeatureEstimate.Normal(3, 1), FeatureEstimate.Exact(5), FeatureEstimate.Normal(-2, 0.2) };
        Assert.True(propagator.Propagate(normal, new LinearModel(s_weights), PredictionTask.Regression, ErrorBound.Absolute(1, 0.95), 1).ModelRows > 0);
    }

    /// <summary>w·x + b that tells the propagator it is affine (as the engine's native linear evaluator does).</summary>
    private sealed class AffineModel(double[] weights, double bias = 0) : IBatchModel
    {
        private readonly LinearModel _plain = new(weights, bias);

        public double[] Weights { get; } = weights;

        public double Bias { get; } = bias;

        public int InputWidth => Weights.Length;

        public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs) => _plain.Evaluate(inputs, rows, outputs);

        public IDesignEvaluator CreateDesignEvaluator() => new Evaluator(this);

        private sealed class Evaluator(AffineModel model) : IDesignEvaluator
        {
            private readonly bool[] _constant = new bool[model.InputWidth];
            private readonly float[] _values = new float[model.InputWidth];

            public void Specialize(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values)
            {
                isConstant.CopyTo(_constant);
                values.CopyTo(_values);
            }

            public void Evaluate(ReadOnlySpan<float> inputs, in SaltelliLayout layout, Span<float> outputs) =>
                model.Evaluate(inputs, layout.Rows, outputs);

            public bool TryGetAffine(Span<double> w, out double intercept)
            {
                intercept = model.Bias;
                for (var j = 0; j < model.Weights.Length; j++)
                {
                    w[j] = _constant[j] ? 0 : model.Weights[j];
                    intercept += _constant[j] ? model.Weights[j] * _values[j] : 0;
                }

                return true;
            }
        }
    }
}
