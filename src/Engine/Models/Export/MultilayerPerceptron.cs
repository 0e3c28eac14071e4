namespace Biathlon.Engine.Models.Export;

/// <summary>Activation applied after a dense layer.</summary>
public enum Activation
{
    /// <summary>None.</summary>
    Identity,

    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>exp(x_i) / Σ exp(x_j) over the layer's outputs.</summary>
    Softmax,
}

/// <summary>A dense layer y = activation(W x + b), W row-major [outputs × inputs].</summary>
/// <param name="Inputs">Input width.</param>
/// <param name="Outputs">Output width.</param>
/// <param name="Weights">Row-major weights, Outputs × Inputs.</param>
/// <param name="Bias">One per output.</param>
/// <param name="Activation">Activation after the affine map.</param>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weights, float[] Bias, Activation Activation);

/// <summary>
/// A small multilayer perceptron. Its last layer's outputs are the prediction (one output: regression, or P(class 1)
/// with a sigmoid; several with softmax: class probabilities).
/// </summary>
public sealed class MultilayerPerceptron
{
    /// <summary>Creates the network, checking that consecutive layer widths agree.</summary>
    public MultilayerPerceptron(IReadOnlyList<DenseLayer> layers)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        }

        for (var l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            if (layer.Weights.Length != layer.Inputs * layer.Outputs || layer.Bias.Length != layer.Outputs)
            {
                throw new ArgumentException($"Layer {l}: weights must be {layer.Outputs}×{layer.Inputs} and bias {layer.Outputs} long.", nameof(layers));
            }

            if (l > 0 && layers[l - 1].Outputs != layer.Inputs)
            {
                throw new ArgumentException($"Layer {l} takes {layer.Inputs} inputs but layer {l - 1} gives {layers[l - 1].Outputs}.", nameof(layers));
            }
        }

        Layers = layers;
    }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>Input width.</summary>
    public int InputWidth => Layers[0].Inputs;

    /// <summary>Output width.</summary>
    public int OutputWidth => Layers[^1].Outputs;

    /// <summary>Forward pass of one row into <paramref name="output"/> (length <see cref="OutputWidth"/>), in float like ONNX Runtime.</summary>
    public void Predict(ReadOnlySpan<float> row, Span<float> output)
    {
        var current = row.ToArray();
        foreach (var layer in Layers)
        {
            var next = new float[layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                var sum = 0f;
                for (var i = 0; i < layer.Inputs; i++)
                {
                    sum += layer.Weights[o * layer.Inputs + i] * current[i];
                }

                next[o] = sum + layer.Bias[o];
            }

            Activate(layer.Activation, next);
            current = next;
        }

        current.CopyTo(output);
    }

    internal static void Activate(Activation activation, Span<float> values)
    {
        switch (activation)
        {
            case Activation.Relu:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = Math.Max(values[i], 0);
                }

                break;
            case Activation.Sigmoid:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = 1 / (1 + MathF.Exp(-values[i]));
                }

                break;
            case Activation.Softmax:
                var max = float.NegativeInfinity;
                foreach (var v in values)
                {
                    max = Math.Max(max, v);
                }

                var total = 0f;
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = MathF.Exp(values[i] - max);
                    total += values[i];
                }

                for (var i = 0; i < values.Length; i++)
                {
                    values[i] /= total;
                }

                break;
        }
    }
}
