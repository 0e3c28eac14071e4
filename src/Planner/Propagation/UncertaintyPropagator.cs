using System.Globalization;
using Biathlon.Sampling;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner;

/// <summary>
/// Propagates feature errors through a model with a Saltelli first-order QMC design: N base points, one group per
/// feature query, N · (G + 2) model rows in one batch. Returns the prediction, its confidence for the bound, the
/// output variance, and the first-order Sobol index S1 of every group from the same outputs (no extra model calls).
/// Every call draws a fresh scrambled design from its seed. Features of one group are drawn jointly: their normal
/// scores are correlated by the group's correlation matrix (a Gaussian copula), then each is mapped through its own
/// error distribution (<see cref="FeatureEstimate.ValueAtNormalScore"/>). Holds its buffers: allocation-free after the
/// first call. Not thread-safe: use one per concurrent request.
/// </summary>
public sealed class UncertaintyPropagator
{
    private readonly int[] _groupOf;
    private readonly QmcDesign _design;
    private readonly bool[] _uncertain;
    private readonly double[] _jointA;
    private readonly double[] _jointB;
    private readonly bool[] _joint;
    private readonly int[] _members;
    private readonly double[] _cholesky;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private readonly double[] _deviations;
    private readonly double[] _firstOrder;
    private readonly LabelCounter _labels = new();

    /// <summary>Creates a propagator for features whose query groups are <paramref name="groupOfFeature"/>.</summary>
    /// <param name="groupOfFeature">Group (feature query) of each feature: ids 0..G−1, each used at least once. D = its length, 1 to 512.</param>
    /// <param name="options">QMC design settings; default N = 128.</param>
    public UncertaintyPropagator(ReadOnlySpan<int> groupOfFeature, PropagationOptions? options = null)
    {
        options ??= PropagationOptions.Default;
        var features = groupOfFeature.Length;
        if (features < 1 || 2 * features > SobolDirections.MaxDimensions)
        {
            throw new ConfigurationException(
                "features", $"The number of features D must lie in [1, {SobolDirections.MaxDimensions / 2}] (got {features}).");
        }

        var groups = 0;
        foreach (var g in groupOfFeature)
        {
            if (g < 0 || g >= features)
            {
                throw new ConfigurationException("groupOfFeature", $"Group ids must lie in [0, {features}) (got {g}).");
            }

            groups = Math.Max(groups, g + 1);
        }

        Span<bool> used = stackalloc bool[groups];
        foreach (var g in groupOfFeature)
        {
            used[g] = true;
        }

        if (used.Contains(false))
        {
            throw new ConfigurationException(
                "groupOfFeature", $"Group ids must be 0..G−1 with every group used; group {used.IndexOf(false)} has no feature.");
        }

        _groupOf = groupOfFeature.ToArray();
        Features = features;
        Groups = groups;
        BaseSamples = options.BaseSamples;
        Rows = BaseSamples * (groups + 2);
        _design = new QmcDesign(features, BaseSamples);
        _uncertain = new bool[features];
        _joint = new bool[features];
        _jointA = new double[features * BaseSamples];
        _jointB = new double[features * BaseSamples];
        _members = new int[features];
        _cholesky = new double[features * features];
        _inputs = new float[Rows * features];
        _outputs = new float[Rows];
        _deviations = new double[Rows];
        _firstOrder = new double[groups];
    }

    /// <summary>D: features per row.</summary>
    public int Features { get; }

    /// <summary>G: feature query groups.</summary>
    public int Groups { get; }

    /// <summary>N: base points.</summary>
    public int BaseSamples { get; }

    /// <summary>Model rows per round: N · (G + 2).</summary>
    public int Rows { get; }

    /// <summary>S1 of every group from the last <see cref="Propagate"/> (0 for groups whose features are all exact).</summary>
    public ReadOnlySpan<double> FirstOrderIndices => _firstOrder;

    /// <summary>The model outputs of the last round, in design order.</summary>
    public ReadOnlySpan<float> Outputs => _outputs;

    /// <summary>The design matrix of the last round, column-major (feature j of row r at j · Rows + r).</summary>
    public ReadOnlySpan<float> Inputs => _inputs;

    /// <summary>
    /// Maps the features onto a design drawn from <paramref name="designSeed"/>, evaluates <paramref name="model"/>
    /// once, and summarises the outputs. Use a different seed per round and per request (the same seed replays the same
    /// design). When a feature's error is <see cref="ErrorKind.Unknown"/> nothing is evaluated and the result is
    /// indeterminate. Throws <see cref="QueryException"/> naming the feature (<c>features[j]</c>) whose value is NaN or
    /// whose error description is invalid.
    /// </summary>
    /// <param name="features">The D features' estimates.</param>
    /// <param name="model">The model.</param>
    /// <param name="task">Regression or classification.</param>
    /// <param name="bound">The error bound: what the confidence is computed for.</param>
    /// <param name="designSeed">Seed of this call's scrambled Sobol' design.</param>
    /// <param name="correlations">
    /// Empty (features independent), or a D × D row-major matrix whose entries for two features of one group are the
    /// correlation of their errors (other entries are ignored). A matrix that is not positive definite is shrunk
    /// towards independence until it is.
    /// </param>
    public PropagationResult Propagate(
        ReadOnlySpan<FeatureEstimate> features, IBatchModel model, PredictionTask task, ErrorBound bound, ulong designSeed,
        ReadOnlySpan<double> correlations = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bound);
        if (features.Length != Features)
        {
            throw new QueryException("features", $"Expected {Features} features, got {features.Length}.");
        }

        if (model.InputWidth != Features)
        {
            throw new QueryException("model", $"The model takes {model.InputWidth} inputs but there are {Features} features.");
        }

        if (!correlations.IsEmpty && correlations.Length != Features * Features)
        {
            throw new QueryException("correlations", $"Expected a {Features} × {Features} correlation matrix, got {correlations.Length} values.");
        }

        var indeterminate = false;
        for (var j = 0; j < features.Length; j++)
        {
            indeterminate |= Validate(features[j], j);
            _uncertain[j] = features[j].Error != ErrorKind.Exact;
        }

        _firstOrder.AsSpan().Clear();
        if (indeterminate)
        {
            return new PropagationResult
            {
                Prediction = double.NaN, Confidence = 0, Delta = double.NaN, ErrorAtTau = double.NaN, Variance = double.NaN, IsIndeterminate = true,
            };
        }

        _design.Generate(designSeed, _uncertain);
        Correlate(features, correlations);
        for (var j = 0; j < features.Length; j++)
        {
            FillColumn(j, features[j]);
        }

        model.Evaluate(_inputs, Rows, _outputs);
        for (var r = 0; r < _outputs.Length; r++)
        {
            if (!float.IsFinite(_outputs[r]))
            {
                throw new QueryException("model", $"The model returned {_outputs[r].ToString(CultureInfo.InvariantCulture)} for design row {r}.");
            }
        }

        return task == PredictionTask.Regression ? SummariseRegression(bound) : SummariseClassification();
    }

    private bool Validate(in FeatureEstimate feature, int j)
    {
        if (feature.Error == ErrorKind.Unknown)
        {
            return true; // widened before it is used; its value may even be undefined yet
        }

        if (double.IsNaN(feature.Value) || double.IsInfinity(feature.Value))
        {
            throw new QueryException($"features[{j}]", $"Feature {j} has no finite value ({feature.Value.ToString(CultureInfo.InvariantCulture)}); a model cannot take it.");
        }

        switch (feature.Error)
        {
            case ErrorKind.Normal or ErrorKind.SkewCorrected or ErrorKind.LogNormal when !(feature.StdError >= 0) || double.IsInfinity(feature.StdError):
                throw new QueryException($"features[{j}]", $"Feature {j} has an invalid standard error ({feature.StdError.ToString(CultureInfo.InvariantCulture)}).");
            case ErrorKind.Empirical when feature.Distribution.IsEmpty:
                throw new QueryException($"features[{j}]", $"Feature {j} has an empirical error with no values.");
            default:
                return false;
        }
    }

    /// <summary>
    /// For each group with two or more uncertain features and some correlation between them, replaces their normal
    /// scores by L·z (L the Cholesky factor of their correlation matrix), in the A and the B rows alike.
    /// </summary>
    private void Correlate(ReadOnlySpan<FeatureEstimate> features, ReadOnlySpan<double> correlations)
    {
        _joint.AsSpan().Clear();
        if (correlations.IsEmpty)
        {
            return;
        }

        var n = BaseSamples;
        for (var g = 0; g < Groups; g++)
        {
            var k = 0;
            var correlated = false;
            for (var j = 0; j < Features; j++)
            {
                if (_groupOf[j] != g || !_uncertain[j])
                {
                    continue;
                }

                for (var m = 0; m < k; m++)
                {
                    var r = correlations[j * Features + _members[m]];
                    correlated |= double.IsFinite(r) && r != 0;
                }

                _members[k++] = j;
            }

            if (k < 2 || !correlated)
            {
                continue;
            }

            var l = _cholesky.AsSpan(0, k * k);
            FactorCorrelation(correlations, _members.AsSpan(0, k), l);
            for (var a = 0; a < k; a++)
            {
                var target = _members[a];
                _joint[target] = true;
                var outA = _jointA.AsSpan(target * n, n);
                var outB = _jointB.AsSpan(target * n, n);
                outA.Clear();
                outB.Clear();
                for (var b = 0; b <= a; b++)
                {
                    var weight = l[a * k + b];
                    var source = _members[b];
                    var inA = _design.NormalA.AsSpan(source * n, n);
                    var inB = _design.NormalB.AsSpan(source * n, n);
                    for (var i = 0; i < n; i++)
                    {
                        outA[i] += weight * inA[i];
                        outB[i] += weight * inB[i];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Cholesky factor (lower, row-major k × k) of the members' correlation matrix, off-diagonals clipped to [−1, 1];
    /// a matrix that is not positive definite has its off-diagonals halved until it is (independence always is).
    /// </summary>
    private void FactorCorrelation(ReadOnlySpan<double> correlations, ReadOnlySpan<int> members, Span<double> l)
    {
        var k = members.Length;
        for (var shrink = 1.0; ; shrink *= 0.5)
        {
            var positive = true;
            for (var a = 0; a < k && positive; a++)
            {
                for (var b = 0; b <= a; b++)
                {
                    var r = a == b ? 1 : shrink * Math.Clamp(Finite(correlations[members[a] * Features + members[b]]), -1, 1);
                    var sum = r;
                    for (var c = 0; c < b; c++)
                    {
                        sum -= l[a * k + c] * l[b * k + c];
                    }

                    if (a == b)
                    {
                        if (!(sum > 1e-9))
                        {
                            positive = false;
                            break;
                        }

                        l[a * k + a] = Math.Sqrt(sum);
                    }
                    else
                    {
                        l[a * k + b] = sum / l[b * k + b];
                    }
                }
            }

            if (positive || shrink < 1e-6)
            {
                if (!positive)
                {
                    l.Clear();
                    for (var a = 0; a < k; a++)
                    {
                        l[a * k + a] = 1;
                    }
                }

                return;
            }
        }

        static double Finite(double r) => double.IsFinite(r) ? r : 0;
    }

    /// <summary>Writes feature j's column: per block i, rows [A_i, AB_i,0 … AB_i,G−1, B_i]; AB_i,k takes B's value only in group k.</summary>
    private void FillColumn(int j, in FeatureEstimate feature)
    {
        var n = BaseSamples;
        var width = Groups + 2;
        var column = _inputs.AsSpan(j * Rows, Rows);
        if (feature.Error == ErrorKind.Exact)
        {
            column.Fill((float)feature.Value);
            return;
        }

        var group = _groupOf[j];
        var joint = _joint[j];
        var normalA = (joint ? _jointA : _design.NormalA).AsSpan(j * n, n);
        var normalB = (joint ? _jointB : _design.NormalB).AsSpan(j * n, n);
        var uniformA = _design.UniformA.AsSpan(j * n, n);
        var uniformB = _design.UniformB.AsSpan(j * n, n);
        var value = feature.Value;
        var sd = feature.StdError;
        for (var i = 0; i < n; i++)
        {
            double a, b;
            switch (feature.Error)
            {
                case ErrorKind.Normal:
                    a = value + sd * normalA[i];
                    b = value + sd * normalB[i];
                    break;
                case ErrorKind.Empirical:
                {
                    // Sorted values as an empirical inverse CDF: stratification survives the mapping.
                    a = feature.ValueAtLevel(joint ? NormalDistribution.Cdf(normalA[i]) : uniformA[i]);
                    b = feature.ValueAtLevel(joint ? NormalDistribution.Cdf(normalB[i]) : uniformB[i]);
                    break;
                }

                default:
                    a = feature.ValueAtNormalScore(normalA[i]);
                    b = feature.ValueAtNormalScore(normalB[i]);
                    break;
            }

            var block = column.Slice(i * width, width);
            block.Fill((float)a);
            block[1 + group] = (float)b;
            block[^1] = (float)b;
        }
    }

    private PropagationResult SummariseRegression(ErrorBound bound)
    {
        var outputs = _outputs.AsSpan();
        double sum = 0;
        foreach (var y in outputs)
        {
            sum += y;
        }

        var mean = sum / outputs.Length;
        double squares = 0;
        var deviations = _deviations.AsSpan();
        for (var r = 0; r < outputs.Length; r++)
        {
            var d = outputs[r] - mean;
            squares += d * d;
            deviations[r] = Math.Abs(d);
        }

        var variance = squares / outputs.Length;
        var delta = bound.Kind == BoundKind.RelativeError ? bound.Delta * Math.Max(Math.Abs(mean), ErrorBound.RelativeFloor) : bound.Delta;
        var within = 0;
        foreach (var d in deviations)
        {
            if (d <= delta)
            {
                within++;
            }
        }

        var errorAtTau = double.NaN;
        if (bound.Kind == BoundKind.ErrorAtConfidence)
        {
            deviations.Sort();
            errorAtTau = deviations[Math.Clamp((int)Math.Ceiling(bound.Tau * deviations.Length) - 1, 0, deviations.Length - 1)];
        }

        // S1 on outputs centred by their mean (the reference standardises first; scaling cancels in the ratio).
        for (var r = 0; r < outputs.Length; r++)
        {
            _deviations[r] = outputs[r] - mean;
        }

        FirstOrder.Compute(_deviations, BaseSamples, Groups, _firstOrder);
        return new PropagationResult
        {
            Prediction = mean, Delta = delta, Confidence = (double)within / outputs.Length, ErrorAtTau = errorAtTau, Variance = variance,
            ModelRows = Rows,
        };
    }

    private PropagationResult SummariseClassification()
    {
        var outputs = _outputs.AsSpan();
        var mode = _labels.Mode(outputs);
        var agree = 0;
        for (var r = 0; r < outputs.Length; r++)
        {
            var same = (int)MathF.Round(outputs[r]) == mode;
            agree += same ? 1 : 0;
            _deviations[r] = same ? 1 : 0;
        }

        var confidence = (double)agree / outputs.Length;

        // Sensitivity of the decision: S1 of the indicator "this row predicts the modal label".
        for (var r = 0; r < outputs.Length; r++)
        {
            _deviations[r] -= confidence;
        }

        FirstOrder.Compute(_deviations, BaseSamples, Groups, _firstOrder);
        return new PropagationResult
        {
            Prediction = mode, Delta = 0, Confidence = confidence, ErrorAtTau = double.NaN, Variance = confidence * (1 - confidence),
            ModelRows = Rows,
        };
    }
}
