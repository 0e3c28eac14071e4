using System.Globalization;
using Biathlon.Sampling;

namespace Biathlon.Planner;

/// <summary>
/// Propagates feature errors through a model with a Saltelli first-order QMC design: N base points, one group per
/// feature query, N · (G + 2) model rows in one batch. Returns the prediction, its confidence for the bound, the
/// output variance, and the first-order Sobol index S1 of every group from the same outputs (no extra model calls).
/// Holds its buffers: allocation-free after the first call. Not thread-safe: use one per concurrent request.
/// </summary>
public sealed class UncertaintyPropagator
{
    private readonly int[] _groupOf;
    private readonly QmcDesign _design;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private readonly double[] _deviations;
    private readonly double[] _firstOrder;
    private readonly LabelCounter _labels = new();

    /// <summary>Creates a propagator for features whose query groups are <paramref name="groupOfFeature"/>.</summary>
    /// <param name="groupOfFeature">Group (feature query) of each feature: ids 0..G−1, each used at least once. D = its length, 1 to 512.</param>
    /// <param name="options">QMC design settings; default N = 128, seed 0, scrambled.</param>
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
        _design = QmcDesign.Get(features, options);
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
    /// Maps the features onto the design, evaluates <paramref name="model"/> once, and summarises the outputs. When a
    /// feature's error is <see cref="ErrorKind.Unknown"/> nothing is evaluated and the result is indeterminate.
    /// Throws <see cref="QueryException"/> naming the feature (<c>features[j]</c>) whose value is NaN or whose error
    /// description is invalid.
    /// </summary>
    public PropagationResult Propagate(ReadOnlySpan<FeatureEstimate> features, IBatchModel model, PredictionTask task, ErrorBound bound)
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

        var indeterminate = false;
        for (var j = 0; j < features.Length; j++)
        {
            indeterminate |= Validate(features[j], j);
        }

        _firstOrder.AsSpan().Clear();
        if (indeterminate)
        {
            return new PropagationResult { Prediction = double.NaN, Confidence = 0, Error = double.NaN, Variance = double.NaN, IsIndeterminate = true };
        }

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
            case ErrorKind.Normal when !(feature.StdError >= 0) || double.IsInfinity(feature.StdError):
                throw new QueryException($"features[{j}]", $"Feature {j} has an invalid standard error ({feature.StdError.ToString(CultureInfo.InvariantCulture)}).");
            case ErrorKind.Empirical when feature.Distribution.IsEmpty:
                throw new QueryException($"features[{j}]", $"Feature {j} has an empirical error with no values.");
            default:
                return false;
        }
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
        var distribution = feature.Distribution.Span;
        var sd = feature.StdError;
        var value = feature.Value;
        var normalA = _design.NormalA.AsSpan(j * n, n);
        var normalB = _design.NormalB.AsSpan(j * n, n);
        var uniformA = _design.UniformA.AsSpan(j * n, n);
        var uniformB = _design.UniformB.AsSpan(j * n, n);
        var empirical = feature.Error == ErrorKind.Empirical;
        for (var i = 0; i < n; i++)
        {
            float a, b;
            if (empirical)
            {
                // Sorted bootstrap values as an empirical inverse CDF: stratification survives the mapping.
                a = (float)distribution[Math.Min((int)(uniformA[i] * distribution.Length), distribution.Length - 1)];
                b = (float)distribution[Math.Min((int)(uniformB[i] * distribution.Length), distribution.Length - 1)];
            }
            else
            {
                a = (float)(value + sd * normalA[i]);
                b = (float)(value + sd * normalB[i]);
            }

            var block = column.Slice(i * width, width);
            block.Fill(a);
            block[1 + group] = b;
            block[^1] = b;
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
        double confidence, error;
        switch (bound.Kind)
        {
            case BoundKind.ErrorAtConfidence:
                deviations.Sort();
                error = deviations[Math.Clamp((int)Math.Ceiling(bound.Tau * deviations.Length) - 1, 0, deviations.Length - 1)];
                confidence = bound.Tau;
                break;
            default:
                error = bound.Kind == BoundKind.RelativeError ? bound.Delta * Math.Max(Math.Abs(mean), ErrorBound.RelativeFloor) : bound.Delta;
                var within = 0;
                foreach (var d in deviations)
                {
                    if (d <= error)
                    {
                        within++;
                    }
                }

                confidence = (double)within / deviations.Length;
                break;
        }

        // S1 on outputs centred by their mean (the reference standardises first; scaling cancels in the ratio).
        for (var r = 0; r < outputs.Length; r++)
        {
            _deviations[r] = outputs[r] - mean;
        }

        FirstOrder.Compute(_deviations, BaseSamples, Groups, _firstOrder);
        return new PropagationResult { Prediction = mean, Confidence = confidence, Error = error, Variance = variance, ModelRows = Rows };
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
            Prediction = mode, Confidence = confidence, Error = 0, Variance = confidence * (1 - confidence), ModelRows = Rows,
        };
    }
}
