namespace Biathlon.Planner.Propagation;

/// <summary>
/// Evaluates one request's QMC designs for one model. Within a request the exact features are constants across all
/// design points, so an evaluator may specialise the model on them once (<see cref="Specialize"/>) and evaluate a
/// smaller model every round. Holds per-request state: not thread-safe; a propagator owns one.
/// </summary>
public interface IDesignEvaluator
{
    /// <summary>
    /// Declares the constant inputs for the designs that follow. The propagator calls it when the set of constants or
    /// their values change (a new request, a query turning exact).
    /// </summary>
    /// <param name="groupOfInput">Group of each input (its feature query); constant for the evaluator's lifetime.</param>
    /// <param name="isConstant">True for inputs whose value is the same in every design row.</param>
    /// <param name="values">The constants' values (other entries are ignored).</param>
    void Specialize(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values);

    /// <summary>
    /// Evaluates a Saltelli design (<see cref="SaltelliLayout"/>). Constant columns hold their constant, so an
    /// evaluator that ignores the structure can evaluate every row as it is.
    /// </summary>
    /// <param name="inputs">Column-major: input j of row r at j · layout.Rows + r.</param>
    /// <param name="layout">The design's blocks.</param>
    /// <param name="outputs">One output per row, as <see cref="IBatchModel.Evaluate"/> writes it.</param>
    void Evaluate(ReadOnlySpan<float> inputs, in SaltelliLayout layout, Span<float> outputs);

    /// <summary>
    /// True when the specialised model is affine in its free inputs, ŷ = intercept + Σ weights[j]·x[j] (weights of
    /// constant inputs 0), which lets normal errors propagate in closed form.
    /// </summary>
    bool TryGetAffine(Span<double> weights, out double intercept);
}

/// <summary>
/// The rows of a Saltelli design in block order: A (N rows), B (N rows), then one block AB_b per uncertain group
/// <c>BlockGroups[b]</c>, equal to A except in that group's inputs, which take B's values.
/// </summary>
/// <param name="BaseSamples">N.</param>
/// <param name="BlockGroups">The group each AB block resamples, in block order.</param>
public readonly ref struct SaltelliLayout(int BaseSamples, ReadOnlySpan<int> BlockGroups)
{
    /// <summary>N.</summary>
    public int BaseSamples { get; } = BaseSamples;

    /// <summary>The group each AB block resamples.</summary>
    public ReadOnlySpan<int> BlockGroups { get; } = BlockGroups;

    /// <summary>All rows: N · (2 + blocks).</summary>
    public int Rows => BaseSamples * (2 + BlockGroups.Length);

    /// <summary>First row of AB block <paramref name="block"/>.</summary>
    public int BlockStart(int block) => BaseSamples * (2 + block);
}

/// <summary>The default evaluator: the model on every row, no specialisation.</summary>
internal sealed class BatchDesignEvaluator(IBatchModel model) : IDesignEvaluator
{
    public void Specialize(ReadOnlySpan<int> groupOfInput, ReadOnlySpan<bool> isConstant, ReadOnlySpan<float> values)
    {
    }

    public void Evaluate(ReadOnlySpan<float> inputs, in SaltelliLayout layout, Span<float> outputs) =>
        model.Evaluate(inputs, layout.Rows, outputs);

    public bool TryGetAffine(Span<double> weights, out double intercept)
    {
        intercept = 0;
        return false;
    }
}
