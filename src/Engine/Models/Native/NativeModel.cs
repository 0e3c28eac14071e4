using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;

namespace Biathlon.Engine.Models.Native;

/// <summary>
/// An ONNX model evaluated by our own code: the graph is compiled once into a short program of column-major steps
/// (tree ensembles, dense layers, elementwise maps, softmax, arg-max), so the QMC design is evaluated in place with no
/// transpose and no native interop, and each request gets a <see cref="NativeDesignEvaluator"/> that specialises the
/// model on the request's exact inputs. Graphs with anything else are rejected at compile time
/// (<see cref="UnsupportedGraphException"/>) and run on ONNX Runtime instead. Thread-safe.
/// </summary>
internal sealed class NativeModel : IBatchModel
{
    private readonly Stack<NativeWorkspace> _pool = new();

    private NativeModel(int inputWidth, NativeStep[] steps, int values, int output, OutputRule rule, int outputWidth, string summary)
    {
        InputWidth = inputWidth;
        Steps = steps;
        Values = values;
        OutputValue = output;
        Rule = rule;
        OutputWidth = outputWidth;
        Summary = summary;
    }

    public int InputWidth { get; }

    public NativeStep[] Steps { get; }

    /// <summary>Values of the program, the input included.</summary>
    public int Values { get; }

    /// <summary>The value the prediction is read from.</summary>
    public int OutputValue { get; }

    public OutputRule Rule { get; }

    public int OutputWidth { get; }

    /// <summary>What the program is, for logs and results: for example "tree ensemble (100 trees, 3,000 nodes)".</summary>
    public string Summary { get; }

    public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        var workspace = Rent();
        try
        {
            workspace.SetInput(inputs[..(rows * InputWidth)]);
            foreach (var step in Steps)
            {
                step.Run(workspace, rows);
            }

            ReadOutput(workspace, rows, outputs);
        }
        finally
        {
            Return(workspace);
        }
    }

    public IDesignEvaluator CreateDesignEvaluator() => new NativeDesignEvaluator(this);

    /// <summary>Writes the prediction of each row from the output value, by <see cref="Rule"/>.</summary>
    public void ReadOutput(NativeWorkspace workspace, int rows, Span<float> outputs)
    {
        var value = workspace.Read(OutputValue, rows * OutputWidth);
        switch (Rule)
        {
            case OutputRule.Threshold:
                for (var r = 0; r < rows; r++)
                {
                    outputs[r] = value[r] > 0.5f ? 1 : 0;
                }

                break;
            case OutputRule.ArgMax:
                for (var r = 0; r < rows; r++)
                {
                    var best = 0;
                    for (var c = 1; c < OutputWidth; c++)
                    {
                        if (value[c * rows + r] > value[best * rows + r])
                        {
                            best = c;
                        }
                    }

                    outputs[r] = best;
                }

                break;
            default:
                value[..rows].CopyTo(outputs);
                break;
        }
    }

    private NativeWorkspace Rent()
    {
        lock (_pool)
        {
            if (_pool.TryPop(out var workspace))
            {
                return workspace;
            }
        }

        return new NativeWorkspace(Values);
    }

    private void Return(NativeWorkspace workspace)
    {
        lock (_pool)
        {
            _pool.Push(workspace);
        }
    }

    /// <summary>Compiles a model; throws <see cref="UnsupportedGraphException"/> naming the first thing it cannot evaluate.</summary>
    public static NativeModel Compile(ModelProto model, PredictionTask task)
    {
        var graph = model.Graph ?? throw new UnsupportedGraphException("the model has no graph.");
        if (graph.Input.Count - graph.Initializer.Count(i => graph.Input.Any(g => g.Name == i.Name)) != 1)
        {
            throw new UnsupportedGraphException("the graph does not have exactly one non-initializer input.");
        }

        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            initializers[tensor.Name] = tensor;
        }

        var input = graph.Input.First(i => !initializers.ContainsKey(i.Name));
        var dims = input.Type?.TensorType?.Shape?.Dim;
        if (input.Type?.TensorType?.ElemType != (int)TensorProto.Types.DataType.Float || dims is null || dims.Count != 2 || dims[1].DimValue < 1)
        {
            throw new UnsupportedGraphException($"input '{input.Name}' is not a float tensor [N, D] with D fixed.");
        }

        var width = (int)dims[1].DimValue;
        var compiler = new GraphCompiler(graph, initializers, input.Name, width);
        return compiler.Compile(task);
    }

    /// <summary>Walks the nodes in order (ONNX graphs are topologically sorted) and emits one step per node (or none for no-ops).</summary>
    private sealed class GraphCompiler(GraphProto graph, Dictionary<string, TensorProto> initializers, string inputName, int inputWidth)
    {
        private readonly Dictionary<string, (int Value, int Width, bool Boolean)> _values = new(StringComparer.Ordinal) { [inputName] = (0, inputWidth, false) };
        private readonly List<NativeStep> _steps = [];
        private readonly List<string> _ops = [];
        private int _next = 1;

        public NativeModel Compile(PredictionTask task)
        {
            foreach (var node in graph.Node)
            {
                CompileNode(node);
            }

            var (output, rule, outputWidth) = ChooseOutput(task);
            return new NativeModel(inputWidth, [.. _steps], _next, output, rule, outputWidth, Describe());
        }

        private string Describe()
        {
            var trees = _steps.OfType<TreeStep>().FirstOrDefault();
            var dense = _steps.OfType<DenseStep>().ToList();
            if (trees is not null)
            {
                return $"tree ensemble ({trees.Ensemble.Roots.Length} trees, {trees.Ensemble.InternalNodes} splits)";
            }

            return dense.Count == 1 && dense[0].Width == 1 ? "linear" : dense.Count > 0 ? $"MLP ({dense.Count} layers)" : string.Join("+", _ops);
        }

        private void CompileNode(NodeProto node)
        {
            if (node.Domain is not ("" or "ai.onnx" or "ai.onnx.ml"))
            {
                throw new UnsupportedGraphException($"node '{node.Name}' is from domain '{node.Domain}'.");
            }

            _ops.Add(node.OpType);
            switch (node.OpType)
            {
                case "TreeEnsembleRegressor":
                case "TreeEnsembleClassifier":
                {
                    var (value, _, _) = Value(node, 0);
                    if (value != 0)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) does not read the model input directly.");
                    }

                    var ensemble = TreeEnsemble.Read(node, inputWidth);
                    var classifier = node.OpType == "TreeEnsembleClassifier";
                    int scores, labels = -1;
                    if (classifier)
                    {
                        labels = Define(node.Output[0], 1, false);
                        scores = node.Output.Count > 1 ? Define(node.Output[1], ensemble.Targets, false) : _next++;
                    }
                    else
                    {
                        scores = Define(node.Output[0], ensemble.Targets, false);
                    }

                    _steps.Add(new TreeStep(scores, labels, ensemble));
                    break;
                }

                case "MatMul":
                {
                    var (value, width, _) = Value(node, 0);
                    var weights = Constant(node, 1, out var wDims);
                    if (wDims.Length != 2 || wDims[0] != width)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' (MatMul) multiplies a [N, {width}] value by a [{string.Join(", ", wDims)}] constant.");
                    }

                    var outputs = (int)wDims[1];
                    _steps.Add(new DenseStep(value, Define(node.Output[0], outputs, false), width, outputs, weights, new float[outputs]));
                    break;
                }

                case "Gemm":
                {
                    var (value, width, _) = Value(node, 0);
                    if (OnnxNodeReader.Int(node, "transA", 0) != 0)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' (Gemm) transposes its first input.");
                    }

                    var b = Constant(node, 1, out var bDims);
                    var transB = OnnxNodeReader.Int(node, "transB", 0) != 0;
                    var alpha = OnnxNodeReader.Float(node, "alpha", 1);
                    var beta = OnnxNodeReader.Float(node, "beta", 1);
                    if (bDims.Length != 2 || bDims[transB ? 1 : 0] != width)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' (Gemm) has B of shape [{string.Join(", ", bDims)}] for {width} inputs.");
                    }

                    var outputs = (int)bDims[transB ? 0 : 1];
                    var weights = new float[width * outputs];
                    for (var j = 0; j < width; j++)
                    {
                        for (var o = 0; o < outputs; o++)
                        {
                            weights[j * outputs + o] = alpha * (transB ? b[o * width + j] : b[j * outputs + o]);
                        }
                    }

                    var bias = new float[outputs];
                    if (node.Input.Count > 2 && node.Input[2].Length > 0)
                    {
                        var c = Constant(node, 2, out _);
                        for (var o = 0; o < outputs; o++)
                        {
                            bias[o] = beta * Broadcast(c, o, outputs, node);
                        }
                    }

                    _steps.Add(new DenseStep(value, Define(node.Output[0], outputs, false), width, outputs, weights, bias));
                    break;
                }

                case "Add" or "Sub" or "Mul" or "Div" or "Greater" or "Less" or "GreaterOrEqual" or "LessOrEqual" or "Equal":
                    CompileBinary(node);
                    break;
                case "Relu":
                    Map(node, MapKind.Relu);
                    break;
                case "Sigmoid":
                    Map(node, MapKind.Sigmoid);
                    break;
                case "Tanh":
                    Map(node, MapKind.Tanh);
                    break;
                case "Exp":
                    Map(node, MapKind.Exp);
                    break;
                case "Abs":
                    Map(node, MapKind.Abs);
                    break;
                case "Neg":
                    Map(node, MapKind.Negate);
                    break;
                case "Identity":
                    Alias(node);
                    break;
                case "Cast":
                {
                    var to = OnnxNodeReader.Int(node, "to", 1);
                    var (_, _, boolean) = Value(node, 0);
                    if (to is (long)TensorProto.Types.DataType.Float or (long)TensorProto.Types.DataType.Double || boolean)
                    {
                        Alias(node); // 0/1 and floats keep their value
                    }
                    else if (to is (long)TensorProto.Types.DataType.Int64 or (long)TensorProto.Types.DataType.Int32)
                    {
                        Map(node, MapKind.Truncate);
                    }
                    else
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' casts to data type {to}.");
                    }

                    break;
                }

                case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze":
                {
                    // Allowed only when every row keeps its values in place: [N, w] ↔ [N·w] for w = 1, or to [N, w].
                    var (_, width, _) = Value(node, 0);
                    if (node.OpType == "Reshape")
                    {
                        var shape = Constant(node, 1, out _);
                        var keepsRows = (shape.Length == 1 && shape[0] == -1 && width == 1)
                            || (shape.Length == 2 && (shape[0] == -1 || shape[0] == 0) && (shape[1] == width || (shape[1] == -1)));
                        if (!keepsRows)
                        {
                            throw new UnsupportedGraphException($"node '{node.Name}' (Reshape) to [{string.Join(", ", shape)}] changes the rows of a width-{width} value.");
                        }
                    }
                    else if (node.OpType != "Flatten" && width != 1)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) of a width-{width} value.");
                    }

                    Alias(node);
                    break;
                }

                case "Softmax":
                {
                    var (value, width, _) = Value(node, 0);
                    var axis = OnnxNodeReader.Int(node, "axis", -1);
                    if (axis is not (-1 or 1))
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' (Softmax) over axis {axis}.");
                    }

                    _steps.Add(new SoftmaxStep(value, Define(node.Output[0], width, false), width));
                    break;
                }

                case "ArgMax":
                {
                    var (value, width, _) = Value(node, 0);
                    if (OnnxNodeReader.Int(node, "axis", 0) != 1 || OnnxNodeReader.Int(node, "select_last_index", 0) != 0)
                    {
                        throw new UnsupportedGraphException($"node '{node.Name}' (ArgMax) is not over axis 1 with the first index on ties.");
                    }

                    _steps.Add(new ArgMaxStep(value, Define(node.Output[0], 1, false), width));
                    break;
                }

                default:
                    throw new UnsupportedGraphException($"node '{node.Name}' has operator {node.OpType}, which the native runtime does not implement.");
            }
        }

        private void CompileBinary(NodeProto node)
        {
            var kind = node.OpType switch
            {
                "Add" => BinaryKind.Add,
                "Sub" => BinaryKind.Subtract,
                "Mul" => BinaryKind.Multiply,
                "Div" => BinaryKind.Divide,
                "Greater" => BinaryKind.Greater,
                "Less" => BinaryKind.Less,
                "GreaterOrEqual" => BinaryKind.GreaterOrEqual,
                "LessOrEqual" => BinaryKind.LessOrEqual,
                _ => BinaryKind.Equal,
            };
            var boolean = kind >= BinaryKind.Greater;
            var leftConstant = initializers.ContainsKey(node.Input[0]);
            var rightConstant = initializers.ContainsKey(node.Input[1]);
            if (leftConstant && rightConstant)
            {
                throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) has two constant inputs.");
            }

            if (leftConstant || rightConstant)
            {
                var (value, width, _) = Value(node, leftConstant ? 1 : 0);
                var constant = Constant(node, leftConstant ? 0 : 1, out _);
                if (constant.Length != 1 && constant.Length != width)
                {
                    throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) broadcasts {constant.Length} constants over {width} columns.");
                }

                var output = Define(node.Output[0], width, boolean);
                if (kind is BinaryKind.Add or BinaryKind.Subtract && !leftConstant && FoldIntoDense(value, width, constant, kind, output))
                {
                    return;
                }

                _steps.Add(new ConstantBinaryStep(value, output, width, kind, constant, leftConstant));
                return;
            }

            var (a, aw, _) = Value(node, 0);
            var (b, bw, _) = Value(node, 1);
            if (aw != bw && aw != 1 && bw != 1)
            {
                throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) combines widths {aw} and {bw}.");
            }

            var w = Math.Max(aw, bw);
            _steps.Add(new ValueBinaryStep(a, b, Define(node.Output[0], w, boolean), w, aw, bw, kind));
        }

        /// <summary>Adds a bias to the dense step that wrote <paramref name="value"/> when nothing else reads it, so affine models stay one step.</summary>
        private bool FoldIntoDense(int value, int width, float[] constant, BinaryKind kind, int output)
        {
            if (_steps.Count == 0 || _steps[^1] is not DenseStep dense || dense.Output != value || Readers(value) != 1)
            {
                return false;
            }

            var bias = new float[width];
            for (var o = 0; o < width; o++)
            {
                var c = constant[constant.Length == 1 ? 0 : o];
                bias[o] = dense.Bias[o] + (kind == BinaryKind.Add ? c : -c);
            }

            _steps[^1] = new DenseStep(dense.Input, output, dense.InputWidth, dense.Width, dense.Weights, bias);
            return true;
        }

        /// <summary>How many node inputs and graph outputs name the tensor behind value <paramref name="value"/>.</summary>
        private int Readers(int value)
        {
            var readers = 0;
            foreach (var (name, info) in _values)
            {
                if (info.Value != value)
                {
                    continue;
                }

                foreach (var node in graph.Node)
                {
                    foreach (var input in node.Input)
                    {
                        readers += input == name ? 1 : 0;
                    }
                }

                foreach (var output in graph.Output)
                {
                    readers += output.Name == name ? 1 : 0;
                }
            }

            return readers;
        }

        private void Map(NodeProto node, MapKind kind)
        {
            var (value, width, boolean) = Value(node, 0);
            _steps.Add(new MapStep(value, Define(node.Output[0], width, boolean && kind == MapKind.Truncate), width, kind));
        }

        private void Alias(NodeProto node)
        {
            var source = Value(node, 0);
            foreach (var output in node.Output)
            {
                _values[output] = source;
            }
        }

        private (int Value, int Width, bool Boolean) Value(NodeProto node, int input)
        {
            if (node.Input.Count <= input || !_values.TryGetValue(node.Input[input], out var value))
            {
                throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}) reads '{(node.Input.Count > input ? node.Input[input] : "?")}', which is not a computed value.");
            }

            return value;
        }

        private float[] Constant(NodeProto node, int input, out long[] dims)
        {
            if (node.Input.Count <= input || !initializers.TryGetValue(node.Input[input], out var tensor))
            {
                throw new UnsupportedGraphException($"node '{node.Name}' ({node.OpType}): input {input} must be a constant initializer.");
            }

            dims = [.. tensor.Dims];
            return OnnxNodeReader.FloatValues(tensor, node);
        }

        private static float Broadcast(float[] c, int o, int width, NodeProto node) =>
            c.Length == 1 ? c[0] : c.Length == width ? c[o] : throw new UnsupportedGraphException($"node '{node.Name}' broadcasts {c.Length} constants over {width} columns.");

        private int Define(string name, int width, bool boolean)
        {
            var value = _next++;
            _values[name] = (value, width, boolean);
            return value;
        }

        /// <summary>The output the engine reads, chosen as <see cref="OnnxModel"/> chooses it, so both runtimes predict the same thing.</summary>
        private (int Value, OutputRule Rule, int Width) ChooseOutput(PredictionTask task)
        {
            (string Name, int Type)[] outputs = [.. graph.Output.Select(o => (o.Name, o.Type?.TensorType?.ElemType ?? 0))];
            (int Value, int Width, bool Boolean) Find(string name) =>
                _values.TryGetValue(name, out var v) ? v : throw new UnsupportedGraphException($"graph output '{name}' is not computed by a supported node.");
            const int floatType = (int)TensorProto.Types.DataType.Float, int64Type = (int)TensorProto.Types.DataType.Int64;
            if (task == PredictionTask.Regression)
            {
                foreach (var (name, type) in outputs)
                {
                    if (type == floatType && Find(name).Width == 1)
                    {
                        return (Find(name).Value, OutputRule.Value, 1);
                    }
                }

                throw new UnsupportedGraphException("the regression model has no float output of width 1.");
            }

            foreach (var (name, type) in outputs)
            {
                if (type == int64Type && Find(name).Width == 1)
                {
                    return (Find(name).Value, OutputRule.Value, 1);
                }
            }

            foreach (var (name, type) in outputs)
            {
                if (type == floatType)
                {
                    var (value, width, _) = Find(name);
                    return width > 1 ? (value, OutputRule.ArgMax, width) : (value, OutputRule.Threshold, 1);
                }
            }

            throw new UnsupportedGraphException("the classification model has no int64 label output and no float probability output.");
        }
    }
}
