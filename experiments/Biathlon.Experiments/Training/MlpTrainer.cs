using Biathlon.Engine.Models.Export;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Experiments.Training;

/// <summary>
/// A minimal multilayer-perceptron trainer for binary labels (ML.NET has none): ReLU hidden layers, a sigmoid
/// output, class-weighted binary cross-entropy, Adam, mini-batches, seeded. Inputs are standardised during training
/// and the standardisation is folded into the first layer, so the result is one plain network to export.
/// </summary>
public static class MlpTrainer
{
    /// <summary>Trains on <paramref name="rows"/> with 0/1 <paramref name="labels"/>.</summary>
    /// <param name="rows">Feature rows.</param>
    /// <param name="labels">0 or 1 per row.</param>
    /// <param name="hidden">Widths of the hidden layers (default two: 16 and 8).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Rows per Adam step.</param>
    /// <param name="learningRate">Adam step size.</param>
    /// <param name="seed">Seeds initialisation and shuffling.</param>
    public static MultilayerPerceptron TrainBinary(
        float[][] rows, float[] labels, int[]? hidden = null, int epochs = 40, int batchSize = 64, double learningRate = 1e-3, int seed = 0)
    {
        hidden ??= [16, 8];
        var n = rows.Length;
        var inputs = rows[0].Length;
        var (mean, scale) = Standardisation(rows);
        var widths = new[] { inputs }.Concat(hidden).Append(1).ToArray();
        var rng = new Xoshiro256((ulong)seed);
        var layers = new Layer[widths.Length - 1];
        for (var l = 0; l < layers.Length; l++)
        {
            layers[l] = new Layer(widths[l], widths[l + 1], ref rng);
        }

        // Rare positives (sensor events are under 1%) would otherwise be ignored: weight them up to balance the classes.
        var positives = labels.Count(y => y > 0.5f);
        var positiveWeight = positives == 0 ? 1 : (double)(n - positives) / positives;
        var order = Enumerable.Range(0, n).ToArray();
        var activations = widths.Select(w => new double[w]).ToArray();
        var step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            for (var i = n - 1; i > 0; i--)
            {
                var j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            for (var start = 0; start < n; start += batchSize)
            {
                var end = Math.Min(start + batchSize, n);
                foreach (var layer in layers)
                {
                    layer.ClearGradients();
                }

                for (var b = start; b < end; b++)
                {
                    var r = order[b];
                    for (var k = 0; k < inputs; k++)
                    {
                        activations[0][k] = (rows[r][k] - mean[k]) / scale[k];
                    }

                    for (var l = 0; l < layers.Length; l++)
                    {
                        layers[l].Forward(activations[l], activations[l + 1], last: l == layers.Length - 1);
                    }

                    // d(weighted BCE)/d(logit) = w · (p − y).
                    var y = labels[r] > 0.5f ? 1.0 : 0.0;
                    var weight = y == 1 ? positiveWeight : 1;
                    var delta = new[] { weight * (activations[^1][0] - y) / (end - start) };
                    for (var l = layers.Length - 1; l >= 0; l--)
                    {
                        delta = layers[l].Backward(activations[l], activations[l + 1], delta, first: l == 0);
                    }
                }

                step++;
                foreach (var layer in layers)
                {
                    layer.AdamStep(learningRate, step);
                }
            }
        }

        return Export(layers, mean, scale);
    }

    private static (double[] Mean, double[] Scale) Standardisation(float[][] rows)
    {
        var width = rows[0].Length;
        var mean = new double[width];
        var scale = new double[width];
        foreach (var row in rows)
        {
            for (var k = 0; k < width; k++)
            {
                mean[k] += row[k];
            }
        }

        for (var k = 0; k < width; k++)
        {
            mean[k] /= rows.Length;
        }

        foreach (var row in rows)
        {
            for (var k = 0; k < width; k++)
            {
                scale[k] += (row[k] - mean[k]) * (row[k] - mean[k]);
            }
        }

        for (var k = 0; k < width; k++)
        {
            scale[k] = Math.Sqrt(scale[k] / rows.Length);
            if (!(scale[k] > 1e-12))
            {
                scale[k] = 1; // a constant input: leave it unscaled
            }
        }

        return (mean, scale);
    }

    /// <summary>Folds (x − μ)/σ into the first layer: W' = W / σ, b' = b − W (μ / σ).</summary>
    private static MultilayerPerceptron Export(Layer[] layers, double[] mean, double[] scale)
    {
        var dense = new List<DenseLayer>();
        for (var l = 0; l < layers.Length; l++)
        {
            var layer = layers[l];
            var weights = new float[layer.Outputs * layer.Inputs];
            var bias = new float[layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                var b = layer.Bias[o];
                for (var i = 0; i < layer.Inputs; i++)
                {
                    var w = layer.Weights[o * layer.Inputs + i];
                    if (l == 0)
                    {
                        b -= w * mean[i] / scale[i];
                        w /= scale[i];
                    }

                    weights[o * layer.Inputs + i] = (float)w;
                }

                bias[o] = (float)b;
            }

            dense.Add(new DenseLayer(layer.Inputs, layer.Outputs, weights, bias, l == layers.Length - 1 ? Activation.Sigmoid : Activation.Relu));
        }

        return new MultilayerPerceptron(dense);
    }

    /// <summary>A dense layer in double precision with its gradients and Adam moments.</summary>
    private sealed class Layer
    {
        private readonly double[] _gradW, _gradB, _m, _v, _mB, _vB;

        public Layer(int inputs, int outputs, ref Xoshiro256 rng)
        {
            Inputs = inputs;
            Outputs = outputs;
            Weights = new double[inputs * outputs];
            Bias = new double[outputs];
            var limit = Math.Sqrt(6.0 / inputs); // He-uniform for ReLU layers
            for (var i = 0; i < Weights.Length; i++)
            {
                Weights[i] = (2 * rng.NextDouble() - 1) * limit;
            }

            _gradW = new double[Weights.Length];
            _gradB = new double[outputs];
            _m = new double[Weights.Length];
            _v = new double[Weights.Length];
            _mB = new double[outputs];
            _vB = new double[outputs];
        }

        public int Inputs { get; }

        public int Outputs { get; }

        public double[] Weights { get; }

        public double[] Bias { get; }

        public void ClearGradients()
        {
            Array.Clear(_gradW);
            Array.Clear(_gradB);
        }

        public void Forward(double[] input, double[] output, bool last)
        {
            for (var o = 0; o < Outputs; o++)
            {
                var sum = Bias[o];
                for (var i = 0; i < Inputs; i++)
                {
                    sum += Weights[o * Inputs + i] * input[i];
                }

                output[o] = last ? 1 / (1 + Math.Exp(-sum)) : Math.Max(sum, 0);
            }
        }

        /// <summary>Accumulates gradients from the delta at this layer's pre-activation; returns the delta for the layer below.</summary>
        public double[] Backward(double[] input, double[] output, double[] delta, bool first)
        {
            var below = first ? [] : new double[Inputs];
            for (var o = 0; o < Outputs; o++)
            {
                _gradB[o] += delta[o];
                for (var i = 0; i < Inputs; i++)
                {
                    _gradW[o * Inputs + i] += delta[o] * input[i];
                    if (!first)
                    {
                        below[i] += Weights[o * Inputs + i] * delta[o];
                    }
                }
            }

            if (!first)
            {
                for (var i = 0; i < Inputs; i++)
                {
                    below[i] = input[i] > 0 ? below[i] : 0; // ReLU of the layer below
                }
            }

            return below;
        }

        public void AdamStep(double rate, int step)
        {
            const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
            var c1 = 1 - Math.Pow(beta1, step);
            var c2 = 1 - Math.Pow(beta2, step);
            Update(Weights, _gradW, _m, _v);
            Update(Bias, _gradB, _mB, _vB);

            void Update(double[] parameters, double[] gradients, double[] m, double[] v)
            {
                for (var i = 0; i < parameters.Length; i++)
                {
                    m[i] = beta1 * m[i] + (1 - beta1) * gradients[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * gradients[i] * gradients[i];
                    parameters[i] -= rate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + epsilon);
                }
            }
        }
    }
}
