using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Biathlon.Engine.Models;

/// <summary>Settings of an ONNX Runtime session.</summary>
/// <param name="IntraOpThreads">Threads inside one operator (default 1: concurrent requests already use the cores).</param>
public sealed record OnnxModelOptions(int IntraOpThreads = 1)
{
    /// <summary>
    /// Ask for ONNX Runtime's CUDA execution provider (device 0). It exists only where the process loads ONNX Runtime's
    /// GPU build (the <c>Microsoft.ML.OnnxRuntime.Gpu</c> package in place of the CPU one, with CUDA and cuDNN installed);
    /// elsewhere the session runs on the CPU and <see cref="OnnxModel.ExecutionProvider"/> says why.
    /// </summary>
    public bool CudaExecutionProvider { get; init; }
}

/// <summary>
/// An ONNX model run by ONNX Runtime (CPU), as the planner's batch model: the QMC design (column-major) is transposed
/// into a pooled, pinned row-major buffer with its tensor (<see cref="OnnxInputPool"/>) and evaluated in one call; the run
/// options and names are shared by every call. Regression reads the first float output; classification
/// reads an int64 label output, or the arg-max of class probabilities, or P(class 1) &gt; 0.5. Thread-safe.
/// </summary>
public sealed class OnnxModel : IBatchModel, IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OutputKind _outputKind;

    // One RunOptions for every call: it only carries settings that never change here, and ONNX Runtime reads it
    // without writing, so concurrent runs may share it.
    private readonly RunOptions _runOptions = new();
    private readonly OnnxInputPool _inputs;

    private OnnxModel(InferenceSession session, string path, PredictionTask task)
    {
        _session = session;
        Path = path;
        Task = task;
        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
        {
            throw new DataSourceException(path, $"Model '{path}' has {inputs.Count} inputs; Biathlon feeds one float tensor [N, D].");
        }

        var (inputName, input) = inputs.First();
        if (input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 2 || input.Dimensions[1] < 1)
        {
            throw new DataSourceException(path, $"Model '{path}': input '{inputName}' must be a float tensor [N, D] with D fixed (it is {input.ElementDataType} [{string.Join(", ", input.Dimensions)}]).");
        }

        _inputNames = [inputName];
        InputWidth = input.Dimensions[1];
        _inputs = new OnnxInputPool(InputWidth);
        (var outputName, _outputKind) = ChooseOutput(session, path, task);
        _outputNames = [outputName];
        Metadata = session.ModelMetadata.CustomMetadataMap;
    }

    private enum OutputKind
    {
        Value,
        Label,
        ClassProbabilities,
        PositiveProbability,
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>What the model predicts.</summary>
    public PredictionTask Task { get; }

    /// <summary>Where ONNX Runtime runs the model: "CPU", "CUDA", or "CPU (…why the CUDA provider is not available)".</summary>
    public string ExecutionProvider { get; private init; } = "CPU";

    /// <inheritdoc />
    public int InputWidth { get; }

    /// <summary>The model's metadata properties (for example the validation MAE a training run stored).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Loads <paramref name="path"/>; throws <see cref="DataSourceException"/> naming the file when it is missing or unusable.</summary>
    public static OnnxModel Load(string path, PredictionTask task, OnnxModelOptions? options = null)
    {
        if (!File.Exists(path))
        {
            throw new DataSourceException(path, $"Model file '{path}' does not exist.");
        }

        return Create(path, task, options, sessionOptions => new InferenceSession(path, sessionOptions));
    }

    /// <summary>
    /// Loads an ONNX model held in memory (for example one converted from another format on load); errors name
    /// <paramref name="path"/>, the file it came from.
    /// </summary>
    internal static OnnxModel Load(byte[] model, string path, PredictionTask task, OnnxModelOptions? options = null) =>
        Create(path, task, options, sessionOptions => new InferenceSession(model, sessionOptions));

    private static OnnxModel Create(string path, PredictionTask task, OnnxModelOptions? options, Func<SessionOptions, InferenceSession> open)
    {
        options ??= new OnnxModelOptions();
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, options.IntraOpThreads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var provider = "CPU";
        if (options.CudaExecutionProvider)
        {
            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(0);
                provider = "CUDA";
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                // The CPU build of ONNX Runtime has no CUDA provider: serve on the CPU, and say so.
                provider = $"CPU (the CUDA execution provider is not available: {e.Message.Split('\n')[0]})";
            }
        }

        InferenceSession session;
        try
        {
            session = open(sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DataSourceException(path, $"'{path}' is not a model ONNX Runtime can load: {e.Message}", e);
        }

        try
        {
            return new OnnxModel(session, path, task) { ExecutionProvider = provider };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Evaluate(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        var width = InputWidth;
        var slot = _inputs.Rent(rows);
        try
        {
            var buffer = slot.Buffer;
            for (var j = 0; j < width; j++)
            {
                var column = inputs.Slice(j * rows, rows);
                for (var r = 0; r < rows; r++)
                {
                    buffer[r * width + j] = column[r];
                }
            }

            Run(slot.Value, rows, outputs);
        }
        finally
        {
            _inputs.Return(slot);
        }
    }

    /// <summary>Evaluates row-major inputs ([rows, D]) into one output per row.</summary>
    public void EvaluateRowMajor(Memory<float> inputs, int rows, Span<float> outputs)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs, [rows, InputWidth]);
        Run(input, rows, outputs);
    }

    private void Run(OrtValue input, int rows, Span<float> outputs)
    {
        using var results = _session.Run(_runOptions, _inputNames, [input], _outputNames);
        var output = results[0];
        switch (_outputKind)
        {
            case OutputKind.Label:
            {
                var labels = output.GetTensorDataAsSpan<long>();
                for (var r = 0; r < rows; r++)
                {
                    outputs[r] = labels[r];
                }

                break;
            }

            case OutputKind.ClassProbabilities:
            {
                var probabilities = output.GetTensorDataAsSpan<float>();
                var classes = probabilities.Length / rows;
                for (var r = 0; r < rows; r++)
                {
                    var row = probabilities.Slice(r * classes, classes);
                    outputs[r] = row.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(row));
                }

                break;
            }

            case OutputKind.PositiveProbability:
            {
                var probabilities = output.GetTensorDataAsSpan<float>();
                for (var r = 0; r < rows; r++)
                {
                    outputs[r] = probabilities[r] > 0.5f ? 1 : 0;
                }

                break;
            }

            default:
                output.GetTensorDataAsSpan<float>()[..rows].CopyTo(outputs);
                break;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _inputs.Dispose();
    }

    private static (string, OutputKind) ChooseOutput(InferenceSession session, string path, PredictionTask task)
    {
        var outputs = session.OutputMetadata;
        if (task == PredictionTask.Regression)
        {
            foreach (var (name, meta) in outputs)
            {
                if (meta.IsTensor && meta.ElementDataType == TensorElementType.Float && IsColumn(meta.Dimensions))
                {
                    return (name, OutputKind.Value);
                }
            }

            throw new DataSourceException(path, $"Regression model '{path}' has no float output of shape [N] or [N, 1].");
        }

        foreach (var (name, meta) in outputs)
        {
            if (meta.IsTensor && meta.ElementDataType == TensorElementType.Int64 && IsColumn(meta.Dimensions))
            {
                return (name, OutputKind.Label);
            }
        }

        foreach (var (name, meta) in outputs)
        {
            if (meta.IsTensor && meta.ElementDataType == TensorElementType.Float)
            {
                if (meta.Dimensions.Length == 2 && meta.Dimensions[1] > 1)
                {
                    return (name, OutputKind.ClassProbabilities);
                }

                if (IsColumn(meta.Dimensions))
                {
                    return (name, OutputKind.PositiveProbability);
                }
            }
        }

        throw new DataSourceException(path, $"Classification model '{path}' has no int64 label output and no float probability output.");
    }

    private static bool IsColumn(int[] dimensions) => dimensions.Length == 1 || (dimensions.Length == 2 && dimensions[1] == 1);
}
