namespace Biathlon.Planner;

/// <summary>One round's propagated prediction.</summary>
public readonly record struct PropagationResult
{
    /// <summary>The prediction: the mean of the QMC outputs (regression) or their most frequent label (classification).</summary>
    public double Prediction { get; init; }

    /// <summary>Share of QMC outputs within the error of the prediction (classification: equal to it); τ in error-at-confidence mode.</summary>
    public double Confidence { get; init; }

    /// <summary>The error the confidence refers to: δ (absolute), δ·|ŷ| (relative), or the τ-quantile of |y − ŷ|; 0 for classification.</summary>
    public double Error { get; init; }

    /// <summary>Population variance of the QMC outputs (classification: of the indicator "output equals the prediction").</summary>
    public double Variance { get; init; }

    /// <summary>Rows the model evaluated (N · (G + 2)), or 0 when not propagated.</summary>
    public int ModelRows { get; init; }

    /// <summary>
    /// True when some feature's error was unknown (below minimum support), so nothing was propagated: confidence is
    /// 0 and the prediction NaN. The planner widens those queries first.
    /// </summary>
    public bool IsIndeterminate { get; init; }
}
