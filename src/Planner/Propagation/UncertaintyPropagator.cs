using System.Globalization;
using Biathlon.Planner.Sobol;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Estimators;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Planner.Propagation;

/// <summary>
/// Propagates feature errors through a model with a Saltelli first-order QMC design: N base points and one AB block
/// per group (feature query) with an uncertain feature, N · (U + 2) model rows in one batch (<see cref="SaltelliLayout"/>).
/// Returns the prediction, its confidence for the bound, the output variance, and the first-order Sobol index S1 of
/// every group from the same outputs (no extra model calls). Every call draws a fresh scrambled design from its seed.
/// The model is reached through its <see cref="IDesignEvaluator"/>, specialised on the exact features whenever they
/// change; when that evaluator is affine and every uncertain error is normal, the result is computed in closed form
/// with no design at all. Features of one group are drawn jointly: their normal
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
    private readonly int[] _blockGroups;
    private readonly bool[] _constant;
    private readonly float[] _constantValues;
    private readonly double[] _affineWeights;
    private readonly bool _closedForm;
    private IBatchModel? _evaluatedModel;
    private IDesignEvaluator? _evaluator;
    private bool _specialized;
    private int _rows;
    private int _blockCount;

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
        MaxRows = BaseSamples * (groups + 2);
        _closedForm = options.ClosedForm;
        _design = new QmcDesign(features, BaseSamples);
        _uncertain = new bool[features];
        _joint = new bool[features];
        _jointA = new double[features * BaseSamples];
        _jointB = new double[features * BaseSamples];
        _members = new int[features];
        _cholesky = new double[features * features];
        _inputs = new float[MaxRows * features];
        _outputs = new float[MaxRows];
        _deviations = new double[MaxRows];
        _firstOrder = new double[groups];
        _blockGroups = new int[groups];
        _constant = new bool[features];
        _constantValues = new float[features];
        _affineWeights = new double[features];
    }

    /// <summary>D: features per row.</summary>
    public int Features { get; }

    /// <summary>G: feature query groups.</summary>
    public int Groups { get; }

    /// <summary>N: base points.</summary>
    public int BaseSamples { get; }

    /// <summary>Model rows of the last round: N · (U + 2) for U uncertain groups (0 after a closed-form or indeterminate round).</summary>
    public int Rows => _rows;

    /// <summary>The most model rows a round can take: N · (G + 2).</summary>
    public int MaxRows { get; }

    /// <summary>S1 of every group from the last <see cref="Propagate"/> (0 for groups whose features are all exact).</summary>
    public ReadOnlySpan<double> FirstOrderIndices => _firstOrder;

    /// <summary>The model outputs of the last round, in design order (<see cref="SaltelliLayout"/>).</summary>
    public ReadOnlySpan<float> Outputs => _outputs.AsSpan(0, _rows);

    /// <summary>The design matrix of the last round, column-major (feature j of row r at j · Rows + r).</summary>
    public ReadOnlySpan<float> Inputs => _inputs.AsSpan(0, _rows * Features);

    /// <summary>Groups with an AB block in the last round, in block order.</summary>
    public ReadOnlySpan<int> BlockGroups => _blockGroups.AsSpan(0, _blockCount);

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
        _rows = 0;
        if (indeterminate)
        {
            return new PropagationResult
            {
                Prediction = double.NaN,
                Confidence = 0,
                Delta = double.NaN,
                ErrorAtTau = double.NaN,
                Variance = double.NaN,
                IsIndeterminate = true,
            };
        }

        var evaluator = EvaluatorFor(model);
        Specialize(evaluator, features);
        if (task == PredictionTask.Regression && TryClosedForm(evaluator, features, correlations, bound, out var closed))
        {
            return closed;
        }

        _blockCount = 0;
        for (var g = 0; g < Groups; g++)
        {
            for (var j = 0; j < Features; j++)
            {
                if (_groupOf[j] == g && _uncertain[j])
                {
                    _blockGroups[_blockCount++] = g;
                    break;
                }
            }
        }

        var layout = new SaltelliLayout(BaseSamples, _blockGroups.AsSpan(0, _blockCount));
        _rows = layout.Rows;
        _design.Generate(designSeed, _uncertain);
        Correlate(features, correlations);
        for (var j = 0; j < features.Length; j++)
        {
            FillColumn(j, features[j], layout);
        }

        var outputs = _outputs.AsSpan(0, _rows);
        evaluator.Evaluate(_inputs.AsSpan(0, _rows * Features), layout, outputs);
        for (var r = 0; r < outputs.Length; r++)
        {
            if (!float.IsFinite(outputs[r]))
            {
                throw new QueryException("model", $"The model returned {outputs[r].ToString(CultureInfo.InvariantCulture)} for design row {r}.");
            }
        }

        return task == PredictionTask.Regression ? SummariseRegression(bound, layout) : SummariseClassification(layout);
    }

    /// <summary>The model's design evaluator, created once per model this propagator sees.</summary>
    private IDesignEvaluator EvaluatorFor(IBatchModel model)
    {
        if (!ReferenceEquals(model, _evaluatedModel))
        {
            _evaluator = model.CreateDesignEvaluator();
            _evaluatedModel = model;
            _specialized = false;
        }

        return _evaluator!;
    }

    /// <summary>Specialises the evaluator on the exact features, unless they are the ones it was last specialised on.</summary>
    private void Specialize(IDesignEvaluator evaluator, ReadOnlySpan<FeatureEstimate> features)
    {
        var changed = !_specialized;
        for (var j = 0; j < features.Length; j++)
        {
            var constant = !_uncertain[j];
            var value = constant ? (float)features[j].Value : 0f;
            changed |= constant != _constant[j] || value.CompareTo(_constantValues[j]) != 0;
            _constant[j] = constant;
            _constantValues[j] = value;
        }

        if (changed)
        {
            evaluator.Specialize(_groupOf, _constant, _constantValues);
            _specialized = true;
        }
    }

    /// <summary>
    /// An affine model with normal errors: ŷ is normal with mean w·x̂ + b and variance Σ_g ‖L_gᵀ(w∘σ)_g‖² (L_g the same
    /// Cholesky factor the design would use), S1_g its group's share; no design points.
    /// </summary>
    private bool TryClosedForm(
        IDesignEvaluator evaluator, ReadOnlySpan<FeatureEstimate> features, ReadOnlySpan<double> correlations, ErrorBound bound,
        out PropagationResult result)
    {
        result = default;
        if (!_closedForm)
        {
            return false;
        }

        foreach (var feature in features)
        {
            if (feature.Error is not (ErrorKind.Exact or ErrorKind.Normal))
            {
                return false;
            }
        }

        var weights = _affineWeights.AsSpan();
        if (!evaluator.TryGetAffine(weights, out var intercept))
        {
            return false;
        }

        var mean = intercept;
        for (var j = 0; j < Features; j++)
        {
            if (_uncertain[j])
            {
                mean += weights[j] * features[j].Value;
            }
        }

        double variance = 0;
        for (var g = 0; g < Groups; g++)
        {
            var k = 0;
            for (var j = 0; j < Features; j++)
            {
                if (_groupOf[j] == g && _uncertain[j])
                {
                    _members[k++] = j;
                }
            }

            if (k == 0)
            {
                continue;
            }

            var members = _members.AsSpan(0, k);
            var l = _cholesky.AsSpan(0, k * k);
            if (correlations.IsEmpty || k == 1)
            {
                l.Clear();
                for (var a = 0; a < k; a++)
                {
                    l[a * k + a] = 1;
                }
            }
            else
            {
                FactorCorrelation(correlations, members, l);
            }

            double groupVariance = 0;
            for (var a = 0; a < k; a++)
            {
                double projected = 0;
                for (var b = a; b < k; b++)
                {
                    projected += l[b * k + a] * weights[members[b]] * features[members[b]].StdError;
                }

                groupVariance += projected * projected;
            }

            _firstOrder[g] = groupVariance;
            variance += groupVariance;
        }

        for (var g = 0; g < Groups; g++)
        {
            _firstOrder[g] = variance > 1e-300 ? _firstOrder[g] / variance : 0;
        }

        var sd = Math.Sqrt(variance);
        var delta = bound.Kind == BoundKind.RelativeError ? bound.Delta * Math.Max(Math.Abs(mean), ErrorBound.RelativeFloor) : bound.Delta;
        var confidence = sd > 0 ? 2 * NormalDistribution.Cdf(delta / sd) - 1 : 1;
        result = new PropagationResult
        {
            Prediction = mean,
            Delta = delta,
            Confidence = confidence,
            Variance = variance,
            ModelRows = 0,
            ErrorAtTau = bound.Kind == BoundKind.ErrorAtConfidence ? sd * NormalDistribution.InverseCdf(0.5 + 0.5 * bound.Tau) : double.NaN,
        };
        return true;
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

    /// <summary>Writes feature j's column in <see cref="SaltelliLayout"/> order: A, B, then each AB block (B's value only in its own group).</summary>
    private void FillColumn(int j, in FeatureEstimate feature, in SaltelliLayout layout)
    {
        var n = BaseSamples;
        var rows = layout.Rows;
        var column = _inputs.AsSpan(j * rows, rows);
        if (feature.Error == ErrorKind.Exact)
        {
            column.Fill((float)feature.Value);
            return;
        }

        var joint = _joint[j];
        var normalA = (joint ? _jointA : _design.NormalA).AsSpan(j * n, n);
        var normalB = (joint ? _jointB : _design.NormalB).AsSpan(j * n, n);
        var uniformA = _design.UniformA.AsSpan(j * n, n);
        var uniformB = _design.UniformB.AsSpan(j * n, n);
        var a = column[..n];
        var b = column.Slice(n, n);
        var value = feature.Value;
        var sd = feature.StdError;
        for (var i = 0; i < n; i++)
        {
            switch (feature.Error)
            {
                case ErrorKind.Normal:
                    a[i] = (float)(value + sd * normalA[i]);
                    b[i] = (float)(value + sd * normalB[i]);
                    break;
                case ErrorKind.Empirical:
                    // Sorted values as an empirical inverse CDF: stratification survives the mapping.
                    a[i] = (float)feature.ValueAtLevel(joint ? NormalDistribution.Cdf(normalA[i]) : uniformA[i]);
                    b[i] = (float)feature.ValueAtLevel(joint ? NormalDistribution.Cdf(normalB[i]) : uniformB[i]);
                    break;
                default:
                    a[i] = (float)feature.ValueAtNormalScore(normalA[i]);
                    b[i] = (float)feature.ValueAtNormalScore(normalB[i]);
                    break;
            }
        }

        var group = _groupOf[j];
        var blocks = layout.BlockGroups;
        for (var block = 0; block < blocks.Length; block++)
        {
            (blocks[block] == group ? b : a).CopyTo(column.Slice(layout.BlockStart(block), n));
        }
    }

    private PropagationResult SummariseRegression(ErrorBound bound, in SaltelliLayout layout)
    {
        var outputs = _outputs.AsSpan(0, _rows);
        double sum = 0;
        foreach (var y in outputs)
        {
            sum += y;
        }

        var mean = sum / outputs.Length;
        double squares = 0;
        var deviations = _deviations.AsSpan(0, _rows);
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
            deviations[r] = outputs[r] - mean;
        }

        FirstOrder.Compute(deviations, layout, _firstOrder);
        return new PropagationResult
        {
            Prediction = mean,
            Delta = delta,
            Confidence = (double)within / outputs.Length,
            ErrorAtTau = errorAtTau,
            Variance = variance,
            ModelRows = _rows,
        };
    }

    private PropagationResult SummariseClassification(in SaltelliLayout layout)
    {
        var outputs = _outputs.AsSpan(0, _rows);
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

        FirstOrder.Compute(_deviations.AsSpan(0, _rows), layout, _firstOrder);
        return new PropagationResult
        {
            Prediction = mode,
            Delta = 0,
            Confidence = confidence,
            ErrorAtTau = double.NaN,
            Variance = confidence * (1 - confidence),
            ModelRows = _rows,
        };
    }
}
