namespace Biathlon.Engine.Models.Gpu;

/// <summary>
/// One request's design for a batched model launch: <see cref="Rows"/> rows of the model's inputs, column-major
/// (input j of row r at j · Rows + r), and where the predictions go (one per row, as <c>IBatchModel.Evaluate</c>
/// writes them). Memory rather than spans so a batcher can hold blocks of several requests at once.
/// </summary>
/// <param name="Inputs">At least Rows × input width values.</param>
/// <param name="Rows">Design rows.</param>
/// <param name="Outputs">At least Rows values.</param>
internal readonly record struct DesignBlock(ReadOnlyMemory<float> Inputs, int Rows, Memory<float> Outputs);
