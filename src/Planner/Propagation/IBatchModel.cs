namespace Biathlon.Planner.Propagation;

/// <summary>
/// A model the planner can evaluate: one call per round over the whole QMC design. The planner knows nothing else
/// about it (no ONNX here), which keeps it testable with plain C# functions.
/// </summary>
public interface IBatchModel
{
    /// <summary>Number of input features per row.</summary>
    int InputWidth { get; }

    /// <summary>
    /// Evaluates <paramref name="rows"/> rows. <paramref name="inputs"/> is column-major: feature j of row r is at
    /// j · rows + r. Writes one output per row: the prediction for regression, the class label (a non-negative
    /// integer) for classification.
    /// </summary>
    void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs);

    /// <summary>
    /// A per-request evaluator of Saltelli designs. Models that can fold a request's constant inputs into themselves,
    /// or skip work the design's structure makes redundant, return their own; the default evaluates every row with
    /// <see cref="Evaluate"/>.
    /// </summary>
    IDesignEvaluator CreateDesignEvaluator() => new BatchDesignEvaluator(this);
}
