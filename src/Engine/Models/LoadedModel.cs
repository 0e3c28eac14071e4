using Biathlon.Engine.Models.Import;
using Biathlon.Engine.Models.Native;
using Biathlon.Engine.Models.Onnx;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Errors;
using Google.Protobuf;

namespace Biathlon.Engine.Models;

/// <summary>
/// A pipeline's model as the engine runs it: the evaluator chosen for the requested <see cref="ModelRuntime"/>, what
/// was chosen and why, and the model's metadata.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly OnnxModel? _onnx;

    private LoadedModel(IBatchModel model, ModelRuntime runtime, string description, IReadOnlyDictionary<string, string> metadata, OnnxModel? onnx, string? metadataNote = null)
    {
        Model = model;
        Runtime = runtime;
        Description = description;
        Metadata = metadata;
        MetadataNote = metadataNote;
        _onnx = onnx;
    }

    /// <summary>The evaluator the propagator calls.</summary>
    public IBatchModel Model { get; }

    /// <summary>The runtime in use: <see cref="ModelRuntime.Native"/> or <see cref="ModelRuntime.OnnxRuntime"/>.</summary>
    public ModelRuntime Runtime { get; }

    /// <summary>What runs, and for ONNX Runtime under <see cref="ModelRuntime.Auto"/> why the native evaluator does not.</summary>
    public string Description { get; }

    /// <summary>The model's metadata properties.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Why <see cref="Metadata"/> is empty when the format has none (a LightGBM text model), for errors about a missing entry; else null.</summary>
    public string? MetadataNote { get; }

    /// <summary>
    /// Loads <paramref name="path"/> for <paramref name="requested"/>. Throws <see cref="DataSourceException"/> naming
    /// the file when it is missing or unusable, and <see cref="UnsupportedGraphException"/> when the native runtime was
    /// required and the graph is not one it evaluates. A LightGBM text model (see <see cref="LightGbmTextModel.IsLightGbmText"/>)
    /// is converted to ONNX in memory for <paramref name="inputWidth"/> inputs (default: the features it was trained
    /// on) and then runs like an ONNX file, so every runtime evaluates the same graph.
    /// </summary>
    public static LoadedModel Load(string path, PredictionTask task, ModelRuntime requested, int threads, int? inputWidth = null, bool cudaExecutionProvider = false)
    {
        var onnxOptions = new OnnxModelOptions(threads) { CudaExecutionProvider = cudaExecutionProvider };
        if (File.Exists(path) && LightGbmTextModel.IsLightGbmText(path))
        {
            return LoadLightGbm(path, task, requested, onnxOptions, inputWidth);
        }

        string? reason = null;
        if (requested != ModelRuntime.OnnxRuntime)
        {
            ModelProto? proto = null;
            try
            {
                proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            }
            catch (InvalidProtocolBufferException e) when (requested == ModelRuntime.Auto)
            {
                reason = e.Message; // ONNX Runtime reports the file's problem below
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new DataSourceException(path, $"'{path}' is not an ONNX model: {e.Message}", e);
            }
            catch (IOException e)
            {
                throw new DataSourceException(path, $"Model file '{path}' cannot be read: {e.Message}", e);
            }

            if (proto is not null)
            {
                try
                {
                    var native = NativeModel.Compile(proto, task);
                    var metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                    return new LoadedModel(native, ModelRuntime.Native, $"native {native.Summary}", metadata, null);
                }
                catch (UnsupportedGraphException e) when (requested == ModelRuntime.Auto)
                {
                    reason = e.Message;
                }
            }
        }

        var onnx = OnnxModel.Load(path, task, onnxOptions);
        var description = reason is null ? "ONNX Runtime" : $"ONNX Runtime (not native: {reason})";
        return new LoadedModel(onnx, ModelRuntime.OnnxRuntime, description, onnx.Metadata, onnx);
    }

    public void Dispose() => _onnx?.Dispose();

    private static LoadedModel LoadLightGbm(string path, PredictionTask task, ModelRuntime requested, OnnxModelOptions onnxOptions, int? inputWidth)
    {
        const string origin = "LightGBM text model";
        const string note = "it is a LightGBM text model, which carries no metadata: give bound.delta in the spec instead of bound.deltaMetadata";
        var lightGbm = LightGbmTextModel.Load(path);
        if (lightGbm.Task != task)
        {
            throw new DataSourceException(path, $"'{path}' is a {(lightGbm.Task == PredictionTask.Regression ? "regression" : "binary classification")} LightGBM model "
                + $"(objective '{lightGbm.Objective}') but the pipeline's task is {task.ToString().ToLowerInvariant()}.");
        }

        var bytes = lightGbm.ToOnnx(inputWidth ?? lightGbm.FeatureCount);
        var empty = new Dictionary<string, string>(StringComparer.Ordinal);
        if (requested != ModelRuntime.OnnxRuntime)
        {
            // Our own exporter writes only graphs the native evaluator compiles.
            var native = NativeModel.Compile(ModelProto.Parser.ParseFrom(bytes), task);
            return new LoadedModel(native, ModelRuntime.Native, $"native {native.Summary} ({origin}, {lightGbm.Trees.Trees.Count} trees)", empty, null, note);
        }

        var onnx = OnnxModel.Load(bytes, path, task, onnxOptions);
        return new LoadedModel(onnx, ModelRuntime.OnnxRuntime, $"ONNX Runtime ({origin}, {lightGbm.Trees.Trees.Count} trees, converted to ONNX)", empty, onnx, note);
    }
}
