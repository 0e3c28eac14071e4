namespace Biathlon.Engine.Models.Export;

/// <summary>How a tree ensemble combines its trees.</summary>
public enum TreeAggregation
{
    /// <summary>bias + Σ weight_t · tree_t(x) (boosting: LightGBM, FastTree).</summary>
    Sum,

    /// <summary>bias + (Σ weight_t · tree_t(x)) / T (random forests: FastForest).</summary>
    Average,
}

/// <summary>A tree ensemble's raw score: the model-neutral form our ONNX writer exports.</summary>
/// <param name="Trees">The trees.</param>
/// <param name="TreeWeights">One weight per tree.</param>
/// <param name="Bias">Added to the aggregate.</param>
/// <param name="Aggregation">Sum or average of the weighted trees.</param>
public sealed record TreeEnsembleModel(IReadOnlyList<DecisionTree> Trees, IReadOnlyList<double> TreeWeights, double Bias, TreeAggregation Aggregation)
{
    /// <summary>The raw score of one row.</summary>
    public double Score(ReadOnlySpan<float> row)
    {
        double sum = 0;
        for (var t = 0; t < Trees.Count; t++)
        {
            sum += TreeWeights[t] * Trees[t].Evaluate(row);
        }

        return Bias + (Aggregation == TreeAggregation.Average ? sum / Trees.Count : sum);
    }
}

/// <summary>A linear score w·x + b.</summary>
/// <param name="Weights">One weight per feature.</param>
/// <param name="Bias">Intercept.</param>
public sealed record LinearModel(IReadOnlyList<double> Weights, double Bias)
{
    /// <summary>The score of one row.</summary>
    public double Score(ReadOnlySpan<float> row)
    {
        var sum = Bias;
        for (var j = 0; j < Weights.Count; j++)
        {
            sum += Weights[j] * row[j];
        }

        return sum;
    }
}

/// <summary>Platt scaling of a binary score: P(class 1) = 1 / (1 + exp(−(Slope · score + Offset))).</summary>
/// <param name="Slope">Multiplier of the score.</param>
/// <param name="Offset">Added after scaling.</param>
public sealed record PlattCalibration(double Slope, double Offset)
{
    /// <summary>The identity calibration: the score is already a logit.</summary>
    public static PlattCalibration Logit { get; } = new(1, 0);

    /// <summary>P(class 1) for a score.</summary>
    public double Probability(double score) => 1 / (1 + Math.Exp(-(Slope * score + Offset)));
}
