namespace Biathlon.Planner.Propagation;

/// <summary>One round's propagated prediction.</summary>
public readonly record struct PropagationResult
{
    /// <summary>The prediction: the mean of the QMC outputs (regression) or their most frequent label (classification).</summary>
    public double Prediction { get; init; }

    /// <summary>
    /// The absolute error δ the confidence refers to: δ for absolute and error-at-confidence bounds, δ·max(|ŷ|, floor)
    /// for relative ones, 0 for classification.
    /// </summary>
    public double Delta { get; init; }

    /// <summary>Share of QMC outputs within <see cref="Delta"/> of the prediction (classification: equal to it), for every bound kind.</summary>
    public double Confidence { get; init; }

    /// <summary>For error-at-confidence bounds: the τ-quantile of |y − ŷ| over the QMC outputs (the achieved error at τ); NaN otherwise.</summary>
    public double ErrorAtTau { get; init; }

    /// <summary>Population variance of the QMC outputs (classification: of the indicator "output equals the prediction").</summary>
    public double Variance { get; init; }

    /// <summary>Rows the model evaluated (N · (U + 2) for U uncertain groups), or 0 when not propagated or propagated in closed form.</summary>
    public int ModelRows { get; init; }

    /// <summary>
    /// True when some feature's error was unknown, so nothing was propagated: confidence is 0 and the prediction NaN.
    /// The planner widens those queries first.
    /// </summary>
    public bool IsIndeterminate { get; init; }
}
