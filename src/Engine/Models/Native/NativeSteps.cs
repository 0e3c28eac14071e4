using System.Numerics.Tensors;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// One operation of a native program over column-major values: value v of width w holds column c of row r at
/// c · rows + r. Value 0 is the model input; steps write values their program allocated. Steps hold no per-call state.
/// </summary>
internal abstract class NativeStep(int input, int output, int width)
{
    /// <summary>The value read.</summary>
    public int Input { get; } = input;

    /// <summary>The value written.</summary>
    public int Output { get; } = output;

    /// <summary>Columns of the value written.</summary>
    public int Width { get; } = width;

    public abstract void Run(NativeWorkspace workspace, int rows);
}

/// <summary>out = in · W + bias, W stored [in × out] row-major.</summary>
internal sealed class DenseStep(int input, int output, int inputWidth, int width, float[] weights, float[] bias) : NativeStep(input, output, width)
{
    public int InputWidth { get; } = inputWidth;

    public float[] Weights { get; } = weights;

    public float[] Bias { get; } = bias;

    /// <summary>0..InputWidth−1: every input column.</summary>
    public int[] AllInputs { get; } = [.. Enumerable.Range(0, inputWidth)];

    public override void Run(NativeWorkspace workspace, int rows) =>
        Apply(workspace.Read(Input, rows * InputWidth), rows, Bias, AllInputs, workspace.Write(Output, rows * Width));

    /// <summary>Columns o: bias[o] + Σ_j W[j, o] · x_j over the input columns j in <paramref name="columns"/>.</summary>
    public void Apply(ReadOnlySpan<float> x, int rows, ReadOnlySpan<float> bias, ReadOnlySpan<int> columns, Span<float> output)
    {
        for (var o = 0; o < Width; o++)
        {
            var column = output.Slice(o * rows, rows);
            column.Fill(bias[o]);
            foreach (var j in columns)
            {
                var w = Weights[j * Width + o];
                if (w != 0)
                {
                    TensorPrimitives.MultiplyAdd(x.Slice(j * rows, rows), w, column, column);
                }
            }
        }
    }
}

/// <summary>An elementwise function of one value.</summary>
internal sealed class MapStep(int input, int output, int width, MapKind kind) : NativeStep(input, output, width)
{
    public MapKind Kind { get; } = kind;

    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(Input, rows * Width);
        var y = workspace.Write(Output, rows * Width);
        switch (Kind)
        {
            case MapKind.Relu:
                TensorPrimitives.Max(x, 0f, y);
                break;
            case MapKind.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case MapKind.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case MapKind.Exp:
                TensorPrimitives.Exp(x, y);
                break;
            case MapKind.Abs:
                TensorPrimitives.Abs(x, y);
                break;
            case MapKind.Negate:
                TensorPrimitives.Negate(x, y);
                break;
            case MapKind.Truncate:
                TensorPrimitives.Truncate(x, y);
                break;
            default:
                x.CopyTo(y);
                break;
        }
    }
}

/// <summary>What a <see cref="MapStep"/> computes.</summary>
internal enum MapKind
{
    Copy,
    Relu,
    Sigmoid,
    Tanh,
    Exp,
    Abs,
    Negate,
    Truncate,
}

/// <summary>An arithmetic or comparison operator (comparisons give 1 or 0).</summary>
internal enum BinaryKind
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    Equal,
}

/// <summary>x op c (or c op x), with c a scalar or one constant per column.</summary>
internal sealed class ConstantBinaryStep(int input, int output, int width, BinaryKind kind, float[] constant, bool constantFirst)
    : NativeStep(input, output, width)
{
    public BinaryKind Kind { get; } = kind;

    public float[] Constant { get; } = constant;

    public bool ConstantFirst { get; } = constantFirst;

    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(Input, rows * Width);
        var y = workspace.Write(Output, rows * Width);
        for (var c = 0; c < Width; c++)
        {
            var k = Constant[Constant.Length == 1 ? 0 : c];
            var xs = x.Slice(c * rows, rows);
            var ys = y.Slice(c * rows, rows);
            switch (Kind)
            {
                case BinaryKind.Add:
                    TensorPrimitives.Add(xs, k, ys);
                    break;
                case BinaryKind.Multiply:
                    TensorPrimitives.Multiply(xs, k, ys);
                    break;
                case BinaryKind.Subtract when ConstantFirst:
                    TensorPrimitives.Subtract(k, xs, ys);
                    break;
                case BinaryKind.Subtract:
                    TensorPrimitives.Subtract(xs, k, ys);
                    break;
                case BinaryKind.Divide when ConstantFirst:
                    TensorPrimitives.Divide(k, xs, ys);
                    break;
                case BinaryKind.Divide:
                    TensorPrimitives.Divide(xs, k, ys);
                    break;
                default:
                    for (var r = 0; r < rows; r++)
                    {
                        var (a, b) = ConstantFirst ? (k, xs[r]) : (xs[r], k);
                        ys[r] = Compare(Kind, a, b) ? 1 : 0;
                    }

                    break;
            }
        }
    }

    public static bool Compare(BinaryKind kind, float a, float b) => kind switch
    {
        BinaryKind.Greater => a > b,
        BinaryKind.Less => a < b,
        BinaryKind.GreaterOrEqual => a >= b,
        BinaryKind.LessOrEqual => a <= b,
        _ => a == b,
    };
}

/// <summary>x op y for two values of one width (or one of width 1, broadcast over the other's columns).</summary>
internal sealed class ValueBinaryStep(int input, int other, int output, int width, int inputWidth, int otherWidth, BinaryKind kind)
    : NativeStep(input, output, width)
{
    /// <summary>The second value read (a program split between devices needs every value a step reads).</summary>
    public int Other { get; } = other;

    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(Input, rows * inputWidth);
        var z = workspace.Read(Other, rows * otherWidth);
        var y = workspace.Write(Output, rows * Width);
        for (var c = 0; c < Width; c++)
        {
            var xs = x.Slice(inputWidth == 1 ? 0 : c * rows, rows);
            var zs = z.Slice(otherWidth == 1 ? 0 : c * rows, rows);
            var ys = y.Slice(c * rows, rows);
            switch (kind)
            {
                case BinaryKind.Add:
                    TensorPrimitives.Add(xs, zs, ys);
                    break;
                case BinaryKind.Subtract:
                    TensorPrimitives.Subtract(xs, zs, ys);
                    break;
                case BinaryKind.Multiply:
                    TensorPrimitives.Multiply(xs, zs, ys);
                    break;
                case BinaryKind.Divide:
                    TensorPrimitives.Divide(xs, zs, ys);
                    break;
                default:
                    for (var r = 0; r < rows; r++)
                    {
                        ys[r] = ConstantBinaryStep.Compare(kind, xs[r], zs[r]) ? 1 : 0;
                    }

                    break;
            }
        }
    }
}

/// <summary>Softmax over each row's columns.</summary>
internal sealed class SoftmaxStep(int input, int output, int width) : NativeStep(input, output, width)
{
    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(Input, rows * Width);
        var y = workspace.Write(Output, rows * Width);
        for (var r = 0; r < rows; r++)
        {
            var max = float.NegativeInfinity;
            for (var c = 0; c < Width; c++)
            {
                max = MathF.Max(max, x[c * rows + r]);
            }

            float sum = 0;
            for (var c = 0; c < Width; c++)
            {
                var e = MathF.Exp(x[c * rows + r] - max);
                y[c * rows + r] = e;
                sum += e;
            }

            for (var c = 0; c < Width; c++)
            {
                y[c * rows + r] /= sum;
            }
        }
    }
}

/// <summary>The index of each row's largest column (the first on ties), as a width-1 value.</summary>
internal sealed class ArgMaxStep(int input, int output, int inputWidth) : NativeStep(input, output, 1)
{
    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(Input, rows * inputWidth);
        var y = workspace.Write(Output, rows);
        for (var r = 0; r < rows; r++)
        {
            var best = 0;
            for (var c = 1; c < inputWidth; c++)
            {
                if (x[c * rows + r] > x[best * rows + r])
                {
                    best = c;
                }
            }

            y[r] = best;
        }
    }
}

/// <summary>
/// A tree ensemble on the model input: its scores (width = outputs, after aggregate and post-transform) and, for a
/// classifier, its label value (the class label of the largest score).
/// </summary>
internal sealed class TreeStep(int output, int labelOutput, TreeEnsemble ensemble) : NativeStep(0, output, ensemble.Targets)
{
    private readonly QuickScorer _scorer = CreateScorer(ensemble);

    public TreeEnsemble Ensemble { get; } = ensemble;

    /// <summary>The ensemble in fast form.</summary>
    public ForestArrays Forest { get; } = new(ensemble.Features, ensemble.FastThresholds, ensemble.FastLeft, ensemble.FastRight, ensemble.LeafValues);

    /// <summary>The label value, or −1 for a regressor.</summary>
    public int LabelOutput { get; } = labelOutput;

    public override void Run(NativeWorkspace workspace, int rows)
    {
        var x = workspace.Read(0, rows * Ensemble.InputWidth);
        var scores = workspace.Write(Output, rows * Width);
        var e = Ensemble;
        if (e.Targets == 1 && e.HasFastForm && !NativeWorkspace.HasNaN(x))
        {
            var sums = workspace.Sums(rows);
            sums.Clear();
            var leaves = workspace.Leaves(rows);
            var forest = Forest;
            ReadOnlySpan<int> roots = e.Roots;
            if (TreeKernels.Kernel == TreeKernel.QuickScorer)
            {
                _scorer.Score(x, rows, 0, rows, sums, workspace.Bits(_scorer.BitsLength));
                roots = _scorer.FallbackRoots;
            }

            foreach (var root in roots)
            {
                TreeKernels.LeafValues(forest, root, x, rows, 0, rows, leaves);
                for (var r = 0; r < rows; r++)
                {
                    sums[r] += leaves[r];
                }
            }

            Finish(sums, rows, scores);
        }
        else
        {
            EvaluateGeneral(x, rows, scores);
        }

        WriteLabels(workspace, rows);
    }

    private static QuickScorer CreateScorer(TreeEnsemble e)
    {
        var scorer = new QuickScorer(e.InputWidth, e.InternalNodes, e.Roots.Length);
        if (e.Targets == 1 && e.HasFastForm)
        {
            scorer.Build(new ForestArrays(e.Features, e.FastThresholds, e.FastLeft, e.FastRight, e.LeafValues), e.Roots, e.NodesByFeature, []);
        }

        return scorer;
    }

    /// <summary>Single output: score = aggregate(Σ) + base, then the post-transform.</summary>
    public void Finish(ReadOnlySpan<double> sums, int rows, Span<float> scores)
    {
        Span<float> one = stackalloc float[1];
        for (var r = 0; r < rows; r++)
        {
            one[0] = (float)sums[r];
            Ensemble.Finalize(one);
            scores[r] = one[0];
        }
    }

    public void WriteLabels(NativeWorkspace workspace, int rows)
    {
        if (LabelOutput < 0)
        {
            return;
        }

        var scores = workspace.Read(Output, rows * Width);
        var labels = workspace.Write(LabelOutput, rows);
        var classes = Ensemble.ClassLabels;
        for (var r = 0; r < rows; r++)
        {
            var best = 0;
            for (var c = 1; c < Width; c++)
            {
                if (scores[c * rows + r] > scores[best * rows + r])
                {
                    best = c;
                }
            }

            labels[r] = classes[best];
        }
    }

    /// <summary>Every row with the ONNX semantics (any node mode, missing values, several outputs).</summary>
    private void EvaluateGeneral(ReadOnlySpan<float> x, int rows, Span<float> scores)
    {
        var e = Ensemble;
        var targets = e.Targets;
        Span<float> row = stackalloc float[targets];
        Span<double> sum = stackalloc double[targets];
        for (var r = 0; r < rows; r++)
        {
            sum.Clear();
            foreach (var root in e.Roots)
            {
                var node = root;
                while (node >= 0)
                {
                    node = e.GoesTrue(node, x[e.Features[node] * rows + r]) ? e.TrueChildren[node] : e.FalseChildren[node];
                }

                for (var t = 0; t < targets; t++)
                {
                    sum[t] += e.LeafValues[~node * targets + t];
                }
            }

            for (var t = 0; t < targets; t++)
            {
                row[t] = (float)sum[t];
            }

            e.Finalize(row);
            for (var t = 0; t < targets; t++)
            {
                scores[t * rows + r] = row[t];
            }
        }
    }
}

/// <summary>Reads the model's prediction from a program's output value: a regression value, or a classification label.</summary>
internal enum OutputRule
{
    /// <summary>The value itself (regression, or a label output).</summary>
    Value,

    /// <summary>The index of the largest of several class probabilities.</summary>
    ArgMax,

    /// <summary>1 when P(class 1) &gt; 0.5, else 0.</summary>
    Threshold,
}
