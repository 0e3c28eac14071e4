using Biathlon.Engine.Models;
using Biathlon.Engine.Specs;

namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The exact SQL baselines' last step, shared by DuckDB and ClickHouse: the request's model inputs in the pipeline's
/// order (request features as the engine computes them, aggregates from SQL; an undefined or non-finite aggregate takes
/// its fill, as in the engine), and the model once on them. Not thread-safe: it reuses its buffers.
/// </summary>
/// <param name="definition">The pipeline.</param>
/// <param name="aggregates">Per feature query, the array SQL writes that query's aggregate values into (read in place).</param>
internal sealed class ExactFeatureRow(PipelineDefinition definition, double[][] aggregates)
{
    private readonly float[] _row = new float[definition.Inputs.Count];
    private readonly float[] _output = new float[1];

    /// <summary>Writes the inputs of the request <paramref name="request"/> has read, from the current aggregate values.</summary>
    public void Assemble(BaselineRequest request, Span<float> features)
    {
        var inputs = definition.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Query < 0)
            {
                features[i] = (float)request.Feature(i);
                continue;
            }

            var value = aggregates[input.Query][input.Aggregate];
            features[i] = (float)(double.IsFinite(value) ? value : definition.Queries[input.Query].Aggregates[input.Aggregate].Fill);
        }
    }

    /// <summary>The row <see cref="Predict"/> reads: fill it with the request's features first.</summary>
    public float[] Row => _row;

    /// <summary>Runs <paramref name="model"/> once on <see cref="Row"/>: the exact pipeline's prediction.</summary>
    public double Predict(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.InputWidth != _row.Length)
        {
            throw new ArgumentException($"The model takes {model.InputWidth} inputs; the pipeline has {_row.Length}.", nameof(model));
        }

        model.EvaluateRowMajor(_row, 1, _output);
        return _output[0];
    }
}
