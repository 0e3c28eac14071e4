using Biathlon.Planner.Propagation;

namespace Biathlon.Planner.Tests;

/// <summary>Plain C# models for the propagation tests: no allocation per call.</summary>
internal sealed class LinearModel(double[] weights, double bias = 0) : IBatchModel
{
    public int InputWidth => weights.Length;

    public int Calls { get; private set; }

    public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        Calls++;
        for (var r = 0; r < rows; r++)
        {
            var y = bias;
            for (var j = 0; j < weights.Length; j++)
            {
                y += weights[j] * inputs[j * rows + r];
            }

            outputs[r] = (float)y;
        }
    }
}

/// <summary>Ishigami function f = sin x1 + a sin² x2 + b x3⁴ sin x1.</summary>
internal sealed class IshigamiModel(double a = 7, double b = 0.1) : IBatchModel
{
    public int InputWidth => 3;

    public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        for (var r = 0; r < rows; r++)
        {
            double x1 = inputs[r], x2 = inputs[rows + r], x3 = inputs[2 * rows + r];
            var s2 = Math.Sin(x2);
            outputs[r] = (float)(Math.Sin(x1) + a * s2 * s2 + b * x3 * x3 * x3 * x3 * Math.Sin(x1));
        }
    }
}

/// <summary>A binary classifier: label 1 when w·x exceeds the threshold.</summary>
internal sealed class ThresholdClassifier(double[] weights, double threshold) : IBatchModel
{
    public int InputWidth => weights.Length;

    public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        for (var r = 0; r < rows; r++)
        {
            double score = 0;
            for (var j = 0; j < weights.Length; j++)
            {
                score += weights[j] * inputs[j * rows + r];
            }

            outputs[r] = score > threshold ? 1 : 0;
        }
    }
}
